-- Announcements: parents who subscribed, the notices staff write, and each recipient's delivery.

CREATE TABLE subscribers (
    telegram_user_id INTEGER PRIMARY KEY,
    first_name TEXT,
    active INTEGER NOT NULL DEFAULT 1,
    subscribed_at TEXT NOT NULL,
    unsubscribed_at TEXT,
    unsubscribe_reason TEXT
);

CREATE INDEX subscribers_active ON subscribers(active);

CREATE TABLE notices (
    id INTEGER PRIMARY KEY,
    author_id INTEGER NOT NULL,
    author_name TEXT NOT NULL,
    -- awaiting: /annonce typed, the notice not yet sent; draft: previewed; asking_time: a time is
    -- awaited; scheduled; publishing: deliveries under way; done; cancelled.
    state TEXT NOT NULL CHECK (state IN ('awaiting', 'draft', 'asking_time', 'scheduled', 'publishing', 'done',
                                         'cancelled')),
    kind TEXT,
    summary TEXT,
    source_chat_id INTEGER,
    source_message_id INTEGER,
    control_message_id INTEGER,
    with_channel INTEGER NOT NULL DEFAULT 1,
    scheduled_at TEXT,
    published_at TEXT,
    channel_state TEXT CHECK (channel_state IN ('sent', 'failed', 'none')),
    channel_error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE INDEX notices_state ON notices(state, scheduled_at);
CREATE INDEX notices_author ON notices(author_id, state);

CREATE TABLE deliveries (
    notice_id INTEGER NOT NULL REFERENCES notices(id) ON DELETE CASCADE,
    telegram_user_id INTEGER NOT NULL,
    -- pending -> sending (the request is out) -> sent, or failed with its reason.
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
    reason TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    sent_at TEXT,
    PRIMARY KEY (notice_id, telegram_user_id)
);

CREATE INDEX deliveries_due ON deliveries(state, next_attempt_at);
