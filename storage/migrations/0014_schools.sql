-- Many schools in one deployment. An account belongs to one school or more; a ticket, a notice, a letter's
-- token and a help-desk message being written belong to one; a family subscribes to each school's notices.
-- '' is the school of a database made before this migration: the bot names it at start (SCHOOL_UAI, or the
-- first school of SCHOOLS_FILE) and rewrites these rows once (Store.open).

CREATE TABLE account_schools (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    uai TEXT NOT NULL,
    PRIMARY KEY (account_id, uai)
);
CREATE INDEX account_schools_uai ON account_schools(uai);
INSERT INTO account_schools (account_id, uai) SELECT id, '' FROM accounts;

ALTER TABLE tickets ADD COLUMN uai TEXT NOT NULL DEFAULT '';
CREATE INDEX tickets_uai ON tickets(uai, state);
ALTER TABLE notices ADD COLUMN uai TEXT NOT NULL DEFAULT '';
ALTER TABLE letter_tokens ADD COLUMN uai TEXT NOT NULL DEFAULT '';
ALTER TABLE helpdesk_writing ADD COLUMN uai TEXT;
-- NULL: an event about no one school (an import of several, a purge).
ALTER TABLE audit ADD COLUMN uai TEXT;
CREATE INDEX audit_uai ON audit(uai, at);

-- A family's subscription to one school's notices; `subscribers` keeps who they are (name, the first time).
CREATE TABLE subscriber_schools (
    telegram_user_id INTEGER NOT NULL REFERENCES subscribers(telegram_user_id) ON DELETE CASCADE,
    uai TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    changed_at TEXT NOT NULL,
    PRIMARY KEY (telegram_user_id, uai)
);
CREATE INDEX subscriber_schools_uai ON subscriber_schools(uai, active);
INSERT INTO subscriber_schools (telegram_user_id, uai, active, changed_at)
    SELECT telegram_user_id, '', active, COALESCE(unsubscribed_at, subscribed_at) FROM subscribers;
