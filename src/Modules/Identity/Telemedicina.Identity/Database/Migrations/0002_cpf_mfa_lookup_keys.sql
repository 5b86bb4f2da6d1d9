-- CPF (optional) encrypted at rest, with a keyed hash (HMAC-SHA256) for uniqueness and lookup.
ALTER TABLE identity.users ADD COLUMN cpf_protected text NULL;
ALTER TABLE identity.users ADD COLUMN cpf_hash bytea NULL;
CREATE UNIQUE INDEX ix_users_cpf_hash ON identity.users (cpf_hash) WHERE cpf_hash IS NOT NULL;

-- Whether the login that started a refresh-token family used a second factor (kept on refresh).
ALTER TABLE identity.refresh_tokens ADD COLUMN mfa boolean NOT NULL DEFAULT false;

-- Secret keys for keyed hashes, shared by all silos and protected by Data Protection.
CREATE TABLE identity.lookup_keys (
    id            text PRIMARY KEY,
    protected_key text NOT NULL,
    created_at    timestamptz NOT NULL
);
