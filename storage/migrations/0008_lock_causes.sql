-- Who failed on an account, so that its lock grows with the number of Telegram users trying it and not with
-- one stranger's retries; and which identifiers each Telegram user looked up in "Mot de passe oublié".

CREATE TABLE account_failures (
    key TEXT NOT NULL,                  -- the account's identifier key, as attempts.key (scope 'account')
    telegram_user_id INTEGER NOT NULL,
    last_failure_at TEXT NOT NULL,
    PRIMARY KEY (key, telegram_user_id)
);

CREATE TABLE identifier_probes (
    telegram_user_id INTEGER NOT NULL,
    key TEXT NOT NULL,                  -- an identifier key of an activated account this user looked up
    probed_at TEXT NOT NULL,
    PRIMARY KEY (telegram_user_id, key)
);
CREATE INDEX identifier_probes_at ON identifier_probes (probed_at);
