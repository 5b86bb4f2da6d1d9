-- Audit trail modelled on FHIR AuditEvent. Append-only and hash-chained: each row carries
-- SHA-256(prev_hash || canonical JSON of the row), computed by the writer under a transaction
-- advisory lock so that concurrent silos never fork the chain.
CREATE TABLE audit.entries (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at   timestamptz NOT NULL,
    actor_id      uuid NULL,
    actor_role    text NULL,
    action        text NOT NULL,
    resource_type text NOT NULL,
    resource_id   text NULL,
    subject_id    uuid NULL,
    outcome       text NOT NULL,
    purpose       text NULL,
    ip_address    text NULL,
    node          text NULL,
    details       jsonb NULL,
    prev_hash     bytea NOT NULL,
    hash          bytea NOT NULL UNIQUE
);

CREATE INDEX entries_subject_idx ON audit.entries (subject_id, occurred_at) WHERE subject_id IS NOT NULL;
CREATE INDEX entries_actor_idx ON audit.entries (actor_id, occurred_at) WHERE actor_id IS NOT NULL;
CREATE INDEX entries_time_idx ON audit.entries (occurred_at);

CREATE FUNCTION audit.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    RAISE EXCEPTION 'audit.entries is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$fn$;

CREATE TRIGGER entries_no_update BEFORE UPDATE OR DELETE ON audit.entries
    FOR EACH ROW EXECUTE FUNCTION audit.refuse_change();
CREATE TRIGGER entries_no_truncate BEFORE TRUNCATE ON audit.entries
    FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_change();

-- Versioned consent records: the latest row per (user, type) is the current answer.
CREATE TABLE audit.consents (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     uuid NOT NULL,
    type        text NOT NULL,
    version     text NOT NULL,
    granted     boolean NOT NULL,
    recorded_at timestamptz NOT NULL,
    ip_address  text NULL,
    user_agent  text NULL
);

CREATE INDEX consents_user_type_idx ON audit.consents (user_id, type, id DESC);
