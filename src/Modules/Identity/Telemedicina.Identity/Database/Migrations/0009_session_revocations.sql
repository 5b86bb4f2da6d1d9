-- Sessions (refresh-token families) ended by a logout or by a refresh token presented twice: the access tokens of that
-- session are refused until they expire, the account's other sessions go on. Read by every silo like access_revocations.
CREATE TABLE identity.session_revocations (
    family_id  uuid PRIMARY KEY,
    revoked_at timestamptz NOT NULL
);

CREATE INDEX ix_session_revocations_revoked_at ON identity.session_revocations (revoked_at);
