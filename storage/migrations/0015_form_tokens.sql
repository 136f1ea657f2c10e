-- Issue 27 (the secure form): the single-use links of the form's pages. Each is bound to one Telegram user,
-- their chat and one step of their dialogue, short-lived, and stored only as its SHA-256 (as letter_tokens:
-- a random token, not something a person chose). Spent on the first valid submission.
CREATE TABLE form_tokens (
    token_hash TEXT PRIMARY KEY,
    telegram_user_id INTEGER NOT NULL,
    chat_id INTEGER NOT NULL,
    step TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    spent_at TEXT,
    -- Spent by a value the step refused (a wrong password): its owner may reopen the page for a new link.
    renewable INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX form_tokens_owner ON form_tokens(telegram_user_id);
