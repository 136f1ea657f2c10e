-- Forgotten password, login test, and the school's account tools (reset, unlock).

-- Bumped by every change of an account's secrets, so that two staff members resetting the same
-- account at once cannot both believe their new provisional password is the one that holds.
ALTER TABLE accounts ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;

-- The forgotten-password and login-test dialogues of each Telegram user, saved at each step like
-- the activation. No secret in clear: only whether the first answer matched, and hashes.
CREATE TABLE recovery_progress (
    telegram_user_id INTEGER PRIMARY KEY,
    flow TEXT NOT NULL CHECK (flow IN ('forgot', 'login')),
    step TEXT NOT NULL,
    identifier TEXT,
    account_id INTEGER REFERENCES accounts(id) ON DELETE CASCADE,
    revision INTEGER,
    answer1_ok INTEGER,
    verified_at TEXT,
    password_hash TEXT,
    prompt_message_id INTEGER,
    started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Bot messages that carry a secret for staff (a new provisional password): deleted when read or
-- when their time is up, even across a restart.
CREATE TABLE ephemeral_messages (
    chat_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    delete_at TEXT NOT NULL,
    PRIMARY KEY (chat_id, message_id)
);

CREATE INDEX audit_at ON audit(at);
