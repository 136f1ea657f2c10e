-- "Mot de passe oublié" for an account activated with a confirmed address (no secret questions):
-- a code sent by mail, kept as a hash with its expiry and the tries left, like the activation's.
ALTER TABLE recovery_progress ADD COLUMN code_hash TEXT;
ALTER TABLE recovery_progress ADD COLUMN code_expires_at TEXT;
ALTER TABLE recovery_progress ADD COLUMN code_tries INTEGER NOT NULL DEFAULT 0;
