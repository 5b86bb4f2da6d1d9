-- Scheduling module schema. Times are UTC timestamptz; doctors' weekly availability is kept in
-- minutes of the local day of the doctor's IANA time zone.
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE scheduling.availability (
    doctor_id              uuid PRIMARY KEY,
    time_zone              text NOT NULL,
    slot_minutes           integer NOT NULL CHECK (slot_minutes BETWEEN 5 AND 240),
    buffer_before_minutes  integer NOT NULL DEFAULT 0 CHECK (buffer_before_minutes BETWEEN 0 AND 120),
    buffer_after_minutes   integer NOT NULL DEFAULT 0 CHECK (buffer_after_minutes BETWEEN 0 AND 120),
    minimum_notice_minutes integer NULL CHECK (minimum_notice_minutes BETWEEN 0 AND 10080),
    booking_window_days    integer NOT NULL DEFAULT 30 CHECK (booking_window_days BETWEEN 1 AND 365),
    updated_at             timestamptz NOT NULL
);

CREATE TABLE scheduling.weekly_intervals (
    doctor_id    uuid NOT NULL REFERENCES scheduling.availability (doctor_id) ON DELETE CASCADE,
    day_of_week  smallint NOT NULL CHECK (day_of_week BETWEEN 0 AND 6),
    start_minute integer NOT NULL CHECK (start_minute BETWEEN 0 AND 1439),
    end_minute   integer NOT NULL CHECK (end_minute BETWEEN 1 AND 1440),
    CHECK (end_minute > start_minute),
    PRIMARY KEY (doctor_id, day_of_week, start_minute)
);

CREATE TABLE scheduling.blocked_dates (
    doctor_id  uuid NOT NULL,
    date       date NOT NULL,
    reason     text NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (doctor_id, date)
);

CREATE TABLE scheduling.appointments (
    id               uuid PRIMARY KEY,
    doctor_id        uuid NOT NULL,
    patient_id       uuid NOT NULL,
    starts_at        timestamptz NOT NULL,
    ends_at          timestamptz NOT NULL,
    -- The doctor's time this appointment occupies: the slot plus the doctor's buffers.
    blocked_from     timestamptz NOT NULL,
    blocked_until    timestamptz NOT NULL,
    status           text NOT NULL CHECK (status IN ('scheduled', 'inProgress', 'completed', 'cancelled', 'noShow')),
    reason           text NULL,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    started_at       timestamptz NULL,
    completed_at     timestamptz NULL,
    duration_seconds integer NULL,
    cancelled_at     timestamptz NULL,
    cancelled_by     uuid NULL,
    cancel_reason    text NULL,
    rescheduled_from uuid NULL REFERENCES scheduling.appointments (id),
    CHECK (ends_at > starts_at),
    CHECK (blocked_from <= starts_at AND blocked_until >= ends_at),
    -- No double booking, whichever silo takes the request: live appointments of one doctor
    -- (buffers included) and of one patient never overlap.
    CONSTRAINT appointments_no_doctor_overlap EXCLUDE USING gist (
        doctor_id WITH =, tstzrange(blocked_from, blocked_until, '[)') WITH &&)
        WHERE (status IN ('scheduled', 'inProgress')),
    CONSTRAINT appointments_no_patient_overlap EXCLUDE USING gist (
        patient_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
        WHERE (status IN ('scheduled', 'inProgress'))
);

CREATE INDEX appointments_doctor_time_idx ON scheduling.appointments (doctor_id, starts_at);
CREATE INDEX appointments_patient_time_idx ON scheduling.appointments (patient_id, starts_at);
CREATE INDEX appointments_status_time_idx ON scheduling.appointments (status, starts_at);

-- Every change of an appointment: who, what, when, why.
CREATE TABLE scheduling.appointment_history (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    appointment_id uuid NOT NULL REFERENCES scheduling.appointments (id),
    at             timestamptz NOT NULL,
    by_user_id     uuid NULL,
    what           text NOT NULL,
    from_status    text NULL,
    to_status      text NULL,
    why            text NULL
);

CREATE INDEX appointment_history_appointment_idx ON scheduling.appointment_history (appointment_id, id);
