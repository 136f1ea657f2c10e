-- Letters with a QR code: each holds a random token that opens the bot on the family's account.
-- Only the token's SHA-256 is stored (see storage/letters.py for why a fast hash is enough), with
-- the provisional password's hash of the moment it was printed: the token proves that password,
-- no more, and stops proving anything once the account's provisional password changes.

CREATE TABLE letter_tokens (
    token_hash TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    provisional_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    -- valid, then used (a family scanned it), or revoked (a new letter, a staff reset, the activation).
    state TEXT NOT NULL DEFAULT 'valid' CHECK (state IN ('valid', 'used', 'revoked')),
    ended_at TEXT,
    ended_by TEXT
);

-- At most one valid letter per account: a new one revokes the old in the same transaction.
CREATE UNIQUE INDEX letter_tokens_one_valid ON letter_tokens(account_id) WHERE state = 'valid';
