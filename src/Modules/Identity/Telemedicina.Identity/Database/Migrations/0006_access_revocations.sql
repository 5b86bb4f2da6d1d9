-- When each account's sessions were last ended (admin lock, erasure, password or second-factor reset): access tokens
-- issued before are refused until they expire. Every silo reads the recent rows every few seconds.
CREATE TABLE identity.access_revocations (
    user_id    uuid PRIMARY KEY,
    revoked_at timestamptz NOT NULL
);

CREATE INDEX ix_access_revocations_revoked_at ON identity.access_revocations (revoked_at);
