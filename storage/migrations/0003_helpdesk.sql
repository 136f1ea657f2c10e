-- The help desk: tickets, their messages, which staff-group message belongs to which ticket, and
-- the durable outbox of mail. Also the e-mail confirmation code of the activation's step 4.

CREATE TABLE tickets (
    id INTEGER PRIMARY KEY,
    telegram_user_id INTEGER NOT NULL,
    user_name TEXT NOT NULL,
    account_id INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
    identifier TEXT,
    -- What staff need, as it was when the ticket opened: state, step, last error, lock. Never a secret.
    context TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
    taken_by INTEGER,
    taken_by_name TEXT,
    header_message_id INTEGER,
    opened_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    closed_at TEXT,
    closed_by_name TEXT
);

CREATE UNIQUE INDEX tickets_one_open ON tickets(telegram_user_id) WHERE state = 'open';
CREATE INDEX tickets_closed ON tickets(state, closed_at);

CREATE TABLE ticket_messages (
    id INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    author TEXT NOT NULL CHECK (author IN ('parent', 'staff')),
    author_name TEXT,
    kind TEXT NOT NULL DEFAULT 'text',
    text TEXT,
    source_chat_id INTEGER,
    source_message_id INTEGER,
    at TEXT NOT NULL
);

CREATE INDEX ticket_messages_ticket ON ticket_messages(ticket_id, at);

-- Never rely on forward_from (privacy settings hide it): each bot message in the staff group that
-- shows a ticket is recorded here, and a staff reply to it finds its ticket.
CREATE TABLE ticket_posts (
    chat_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    PRIMARY KEY (chat_id, message_id)
);

-- Mail waits here until the server accepted it; a worker sends it, retrying with growing delays.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT,
    message_id TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    expires_at TEXT,
    next_attempt_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    sent_at TEXT,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'expired'))
);

CREATE INDEX outbox_due ON outbox(state, next_attempt_at);

ALTER TABLE activation_progress ADD COLUMN error_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE activation_progress ADD COLUMN email_code_hash TEXT;
ALTER TABLE activation_progress ADD COLUMN email_code_expires_at TEXT;
ALTER TABLE activation_progress ADD COLUMN email_code_tries INTEGER NOT NULL DEFAULT 0;
ALTER TABLE activation_progress ADD COLUMN email_codes_sent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE activation_progress ADD COLUMN email_verified INTEGER NOT NULL DEFAULT 0;
