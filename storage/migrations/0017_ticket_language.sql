-- Issue 26 (the families' languages): the language a family read the bot in when it wrote each message to its
-- school, so that the staff group, posted later by its worker, reads « écrit en ukrainien » beside it; and the
-- language a staff reply or a ticket's notice is introduced in when the family has not chosen one.
ALTER TABLE ticket_messages ADD COLUMN language TEXT NOT NULL DEFAULT 'fr';
