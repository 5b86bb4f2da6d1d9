-- Data-subject rights, audit checkpoints and the incident register (LGPD).

-- Portability exports: built in the background, stored in the file store, deleted after expiry.
CREATE TABLE audit.exports (
    id           uuid PRIMARY KEY,
    user_id      uuid NOT NULL,
    status       text NOT NULL CHECK (status IN ('pending', 'building', 'ready', 'failed', 'expired')),
    requested_at timestamptz NOT NULL,
    claimed_at   timestamptz NULL,
    attempts     integer NOT NULL DEFAULT 0,
    completed_at timestamptz NULL,
    expires_at   timestamptz NULL,
    file_key     text NULL,
    size_bytes   bigint NULL,
    error        text NULL
);
CREATE INDEX exports_user_idx ON audit.exports (user_id, requested_at DESC);
CREATE INDEX exports_open_idx ON audit.exports (status, requested_at) WHERE status IN ('pending', 'building', 'ready');

-- Erasures: one per person; the report answers which data was kept and why.
CREATE TABLE audit.erasures (
    user_id      uuid PRIMARY KEY,
    requested_at timestamptz NOT NULL,
    completed_at timestamptz NULL,
    report       jsonb NULL
);

-- Signed checkpoints of the hash chain (a copy of each goes to the file store, write-once).
CREATE TABLE audit.checkpoints (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    last_entry_id bigint NOT NULL,
    last_hash     bytea NOT NULL,
    entry_count   bigint NOT NULL,
    created_at    timestamptz NOT NULL,
    file_key      text NOT NULL,
    signature     bytea NOT NULL
);

-- The key that signs checkpoints when none is configured (development only; production sets Audit:CheckpointKey).
CREATE TABLE audit.checkpoint_key (
    id  integer PRIMARY KEY CHECK (id = 1),
    key bytea NOT NULL
);

-- Security incidents involving personal data (ANPD and data subjects must be told within 3 business days).
CREATE TABLE audit.incidents (
    id                   uuid PRIMARY KEY,
    title                text NOT NULL,
    description          text NOT NULL,
    occurred_at          timestamptz NULL,
    discovered_at        timestamptz NOT NULL,
    data_categories      text[] NOT NULL,
    affected_subjects    uuid[] NOT NULL,
    measures             text NULL,
    notify_by            timestamptz NOT NULL,
    anpd_notified_at     timestamptz NULL,
    subjects_notified_at timestamptz NULL,
    created_by           uuid NOT NULL,
    created_at           timestamptz NOT NULL
);
CREATE INDEX incidents_discovered_idx ON audit.incidents (discovered_at DESC);
