-- Issue 26 (the families' languages): the language a form link's page speaks. The page's request is no Telegram
-- update, so the family's language is recorded with the link, while the family's own update makes it.
ALTER TABLE form_tokens ADD COLUMN language TEXT NOT NULL DEFAULT 'fr';
