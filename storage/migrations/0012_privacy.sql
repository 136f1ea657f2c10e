-- Privacy: the bot's copies of tickets in the staff group that Telegram would not let it delete
-- (older than 48 hours), so that a group admin can delete them by hand. Ids only, no content.
CREATE TABLE undeleted_copies (
    chat_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    ticket_id INTEGER NOT NULL,
    reason TEXT,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (chat_id, message_id)
);
