-- Hardening of what goes out: a mail that cannot be sent ends in a final 'failed' state instead of
-- blocking the outbox; the e-mail code never sits in a subject; a channel post is recorded before it
-- is made; the staff group is fed through a durable queue.

-- The outbox, rebuilt to allow the final 'failed' state (SQLite cannot change a CHECK in place).
-- No table refers to it, so the rebuild is safe with foreign keys on.
CREATE TABLE outbox_new (
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
    failed_at TEXT,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'expired', 'failed'))
);

INSERT INTO outbox_new (id, kind, recipient, subject, body, message_id, created_at, expires_at, next_attempt_at,
                        attempts, last_error, sent_at, state)
    SELECT id, kind, recipient, subject, body, message_id, created_at, expires_at, next_attempt_at, attempts,
           last_error, sent_at, state FROM outbox;

DROP TABLE outbox;

ALTER TABLE outbox_new RENAME TO outbox;

CREATE INDEX outbox_due ON outbox(state, next_attempt_at);

-- The confirmation code used to open the subject ("484353 : votre code…"): no longer, even in old rows.
UPDATE outbox SET subject = 'Votre code de confirmation ENT' WHERE kind = 'email_code';

UPDATE outbox SET body = NULL WHERE kind = 'email_code' AND state <> 'pending';

-- The channel post of a notice: NULL (not tried), 'posting' (the request went out, its outcome
-- unknown: a crash, a lost answer), 'posted'. Recorded before the request, so it is never made twice.
ALTER TABLE notices ADD COLUMN channel_intent TEXT CHECK (channel_intent IN ('posting', 'posted'));

-- What the staff group is to receive: a ticket's header, or one of its parent's messages. Sent by a
-- worker, in order, at the group's pace; retried until Telegram takes it.
CREATE TABLE staff_posts (
    id INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('header', 'message')),
    message_id INTEGER REFERENCES ticket_messages(id) ON DELETE CASCADE,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    next_attempt_at TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE INDEX staff_posts_due ON staff_posts(state, next_attempt_at);

-- Whether the Telegram user who opened the ticket proved they hold its account (typed its
-- provisional password, activated it from that chat, or answered its secret questions), or only
-- typed its identifier: staff must not reset an account for someone who did not prove it.
ALTER TABLE tickets ADD COLUMN proven INTEGER NOT NULL DEFAULT 0;
