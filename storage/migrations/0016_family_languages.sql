-- Issue 26 (the families' languages): the language a family reads the bot in, once chosen (/langue) or taken from
-- its Telegram app at its first /start. Kept while the family has anything else with the bot (storage/privacy.py).
CREATE TABLE family_languages (
    telegram_user_id INTEGER PRIMARY KEY,
    language TEXT NOT NULL,
    -- 'telegram': taken from the app's language at the first /start; 'chosen': picked with /langue
    source TEXT NOT NULL,
    chosen_at TEXT NOT NULL
);
