-- Issue 22 (mail codes and erasure): each mail names the Telegram user it was queued for, so that an
-- erasure removes that family's mail and no one else's; code mails are counted per account and per
-- Telegram user for a day; the forgot-password code leaves the subjects it used to open; the lookups an
-- erasure makes by Telegram user get their indexes.

ALTER TABLE outbox ADD COLUMN telegram_user_id INTEGER;

-- Ticket mails already queued: their subject starts with the ticket's number ("[Assistant ENT] Demande n°12 — …").
UPDATE outbox SET telegram_user_id = (
    SELECT t.telegram_user_id FROM tickets t
     WHERE t.id = CAST(substr(outbox.subject, length('[Assistant ENT] Demande n°') + 1) AS INTEGER)
       AND t.telegram_user_id != 0)
 WHERE kind = 'ticket' AND substr(subject, 1, length('[Assistant ENT] Demande n°')) = '[Assistant ENT] Demande n°';

CREATE INDEX outbox_owner ON outbox(telegram_user_id);

-- The forgot-password code opened its mail's subject ("484353 : votre code pour changer…"): no longer.
UPDATE outbox SET subject = 'Votre code pour changer de mot de passe ENT'
 WHERE kind = 'email_code' AND subject LIKE '% : votre code pour changer de mot de passe ENT';

UPDATE outbox SET body = NULL WHERE kind = 'email_code' AND state <> 'pending';

-- One row per code mail queued, whatever asked for it (the activation's address, a forgotten password):
-- the caps per account and per Telegram user over 24 hours read it. No address, no code.
CREATE TABLE code_mails (
    id INTEGER PRIMARY KEY,
    telegram_user_id INTEGER NOT NULL,
    account_id INTEGER,
    queued_at TEXT NOT NULL
);

CREATE INDEX code_mails_user ON code_mails(telegram_user_id, queued_at);

CREATE INDEX code_mails_account ON code_mails(account_id, queued_at);

CREATE INDEX code_mails_at ON code_mails(queued_at);

-- An erasure finds a Telegram user's rows by these; without them each was a scan of the whole table.
CREATE INDEX audit_actor ON audit(actor);

CREATE INDEX accounts_telegram_user ON accounts(telegram_user_id);

CREATE INDEX tickets_telegram_user ON tickets(telegram_user_id);

CREATE INDEX deliveries_telegram_user ON deliveries(telegram_user_id);

CREATE INDEX account_failures_telegram_user ON account_failures(telegram_user_id);

-- Children of a ticket deleted with it (ON DELETE CASCADE): SQLite looks them up by these columns.
CREATE INDEX ticket_posts_ticket ON ticket_posts(ticket_id);

CREATE INDEX staff_posts_ticket ON staff_posts(ticket_id);

CREATE INDEX staff_posts_message ON staff_posts(message_id);
