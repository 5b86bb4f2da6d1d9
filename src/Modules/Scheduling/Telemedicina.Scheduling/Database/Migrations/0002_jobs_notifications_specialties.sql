-- Who missed a no-show appointment: 'patient', 'doctor' or 'both'.
ALTER TABLE scheduling.appointments ADD COLUMN no_show_party text NULL
    CHECK (no_show_party IS NULL OR no_show_party IN ('patient', 'doctor', 'both'));

CREATE INDEX appointments_live_time_idx ON scheduling.appointments (starts_at) WHERE status IN ('scheduled', 'inProgress');

-- Notification outbox: one row per (appointment, kind, recipient), so producing it twice is a
-- no-op; a row is claimed before sending and marked sent after, so it is delivered once.
CREATE TABLE scheduling.notifications (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    appointment_id uuid NOT NULL REFERENCES scheduling.appointments (id),
    kind           text NOT NULL,
    recipient_id   uuid NOT NULL,
    created_at     timestamptz NOT NULL,
    claimed_at     timestamptz NULL,
    sent_at        timestamptz NULL,
    attempts       integer NOT NULL DEFAULT 0,
    last_error     text NULL,
    UNIQUE (appointment_id, kind, recipient_id)
);

CREATE INDEX notifications_pending_idx ON scheduling.notifications (created_at) WHERE sent_at IS NULL;

-- Specialties catalogue, managed by admins.
CREATE TABLE scheduling.specialties (
    id         uuid PRIMARY KEY,
    name       text NOT NULL,
    active     boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL
);

CREATE UNIQUE INDEX specialties_name_idx ON scheduling.specialties (lower(name));

INSERT INTO scheduling.specialties (id, name, active, created_at) VALUES
    ('3b0f7c9e-0000-4000-8000-000000000001', 'Clínica Médica', true, now()),
    ('3b0f7c9e-0000-4000-8000-000000000002', 'Pediatria', true, now()),
    ('3b0f7c9e-0000-4000-8000-000000000003', 'Psiquiatria', true, now()),
    ('3b0f7c9e-0000-4000-8000-000000000004', 'Dermatologia', true, now()),
    ('3b0f7c9e-0000-4000-8000-000000000005', 'Cardiologia', true, now()),
    ('3b0f7c9e-0000-4000-8000-000000000006', 'Ginecologia e Obstetrícia', true, now()),
    ('3b0f7c9e-0000-4000-8000-000000000007', 'Endocrinologia', true, now()),
    ('3b0f7c9e-0000-4000-8000-000000000008', 'Nutrologia', true, now());
