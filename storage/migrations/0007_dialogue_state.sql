-- Dialogue state kept in SQLite, never only in PTB's memory, and secret messages whose deletion failed.

-- The time of the parent's last proven action (an accepted answer): the 30-minute re-check reads it,
-- not updated_at, which showing a step rewrites.
ALTER TABLE activation_progress ADD COLUMN proven_at TEXT;
UPDATE activation_progress SET proven_at = updated_at;
-- The parent was asked to type the provisional password again: that is their dialogue state now.
ALTER TABLE activation_progress ADD COLUMN reauth_due INTEGER NOT NULL DEFAULT 0;

-- The parent is writing to the school ("Écrire au collège"): their next message becomes a ticket.
CREATE TABLE helpdesk_writing (
    telegram_user_id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL
);

-- A parent's message that carried a secret and could not be deleted yet (Telegram 5xx, timeout,
-- network): the sweep job tries again until it is gone or too old for a bot to delete (48 hours).
CREATE TABLE pending_deletions (
    chat_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    sent_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 1,
    last_error TEXT,
    PRIMARY KEY (chat_id, message_id)
);
