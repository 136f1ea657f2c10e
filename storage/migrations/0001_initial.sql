-- Accounts imported from the school, the activation in progress, attempts and locks, audit trail.
-- Every time is UTC, ISO 8601. No secret is ever stored in clear: *_hash columns hold Argon2id.

CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    identifier TEXT NOT NULL,
    identifier_key TEXT NOT NULL UNIQUE,
    last_name TEXT,
    first_name TEXT,
    profile TEXT NOT NULL DEFAULT 'parent' CHECK (profile IN ('eleve', 'parent')),
    class_name TEXT,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'active', 'reset')),
    provisional_hash TEXT,
    password_hash TEXT,
    email TEXT,
    question1 INTEGER,
    answer1_hash TEXT,
    question2 INTEGER,
    answer2_hash TEXT,
    cgu_version TEXT,
    cgu_accepted_at TEXT,
    activated_at TEXT,
    telegram_user_id INTEGER,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE activation_progress (
    telegram_user_id INTEGER PRIMARY KEY,
    account_id INTEGER REFERENCES accounts(id) ON DELETE CASCADE,
    identifier TEXT,
    provisional_hash TEXT,
    step TEXT NOT NULL,
    prompt_message_id INTEGER,
    cgu_version TEXT,
    cgu_accepted_at TEXT,
    email TEXT,
    email_skipped INTEGER NOT NULL DEFAULT 0,
    question1 INTEGER,
    answer1_hash TEXT,
    question2 INTEGER,
    answer2_hash TEXT,
    password_hash TEXT,
    last_error TEXT,
    started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE INDEX activation_progress_account ON activation_progress(account_id);

CREATE TABLE attempts (
    scope TEXT NOT NULL CHECK (scope IN ('account', 'user')),
    key TEXT NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0,
    locks INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    last_failure_at TEXT,
    PRIMARY KEY (scope, key)
);

CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    event TEXT NOT NULL,
    account_id INTEGER,
    detail TEXT
);

CREATE INDEX audit_account ON audit(account_id, at);
