-- Failed logins for e-mails that have no account (or an erased one), counted like an account's own
-- (AccessFailedCount, LockoutEnd) so that the lockout answer (423) cannot tell a registered e-mail from
-- an unknown one. Keyed by a keyed hash of the normalized e-mail: the e-mail itself is not stored.
CREATE TABLE identity.unknown_account_failures (
    email_hash   bytea PRIMARY KEY,
    failed_count integer NOT NULL,
    lockout_end  timestamptz NULL,
    updated_at   timestamptz NOT NULL
);

-- The retention task deletes rows nobody has tried for a while.
CREATE INDEX ix_unknown_account_failures_updated_at ON identity.unknown_account_failures (updated_at);
