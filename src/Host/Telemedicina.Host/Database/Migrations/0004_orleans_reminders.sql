-- Durable reminders for Orleans.Reminders.AdoNet 10.4.2.
--
-- Parameters: @ServiceId, @GrainId (GrainId.ToString()), @ReminderName, @StartTime (UTC),
-- @Period (milliseconds; int, or bigint beyond int range), @GrainHash, @BeginHash, @EndHash
-- (uint hashes passed as signed int) and @Version (the ETag as int). Result columns: "GrainId",
-- "ReminderName", "StartTime", "Period" (read as int64), "Version".
--
-- Each silo owns ranges (begin, end] of the hash ring. The provider compares begin and end as
-- signed ints: begin < end is a plain range (ReadRangeRows1Key); otherwise the range wraps past
-- the top of the signed order (ReadRangeRows2Key), and begin = end is the whole ring. Comparing the
-- stored signed hashes the same way selects exactly the ring arc (begin, end].
CREATE TABLE orleans.reminders (
    service_id    text NOT NULL,
    grain_id      text NOT NULL,
    reminder_name text NOT NULL,
    start_time    timestamptz NOT NULL,
    period        bigint NOT NULL,
    grain_hash    integer NOT NULL,
    version       integer NOT NULL CHECK (version >= 0),
    PRIMARY KEY (service_id, grain_id, reminder_name)
);

CREATE INDEX reminders_ring_idx ON orleans.reminders (service_id, grain_hash);

INSERT INTO orleans.orleansquery (querykey, querytext) VALUES

-- Insert or replace; answers the new ETag (0 for a new row, then +1, wrapping after 2^31 - 1).
('UpsertReminderRowKey', $q$
INSERT INTO orleans.reminders AS r (service_id, grain_id, reminder_name, start_time, period, grain_hash, version)
VALUES (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash, 0)
ON CONFLICT (service_id, grain_id, reminder_name) DO UPDATE
SET start_time = excluded.start_time,
    period     = excluded.period,
    grain_hash = excluded.grain_hash,
    version    = (r.version + 1) % 2147483647
RETURNING r.version AS "Version"
$q$),

('ReadReminderRowsKey', $q$
SELECT grain_id AS "GrainId", reminder_name AS "ReminderName", start_time AS "StartTime",
       period AS "Period", version AS "Version"
FROM orleans.reminders
WHERE service_id = @ServiceId AND grain_id = @GrainId
$q$),

('ReadReminderRowKey', $q$
SELECT grain_id AS "GrainId", reminder_name AS "ReminderName", start_time AS "StartTime",
       period AS "Period", version AS "Version"
FROM orleans.reminders
WHERE service_id = @ServiceId AND grain_id = @GrainId AND reminder_name = @ReminderName
$q$),

-- (begin, end] with begin < end (signed).
('ReadRangeRows1Key', $q$
SELECT grain_id AS "GrainId", reminder_name AS "ReminderName", start_time AS "StartTime",
       period AS "Period", version AS "Version"
FROM orleans.reminders
WHERE service_id = @ServiceId AND grain_hash > @BeginHash AND grain_hash <= @EndHash
$q$),

-- (begin, end] wrapping: begin >= end (signed).
('ReadRangeRows2Key', $q$
SELECT grain_id AS "GrainId", reminder_name AS "ReminderName", start_time AS "StartTime",
       period AS "Period", version AS "Version"
FROM orleans.reminders
WHERE service_id = @ServiceId AND (grain_hash > @BeginHash OR grain_hash <= @EndHash)
$q$),

-- Deletes only the version the caller holds; always one boolean row.
('DeleteReminderRowKey', $q$
WITH removed AS (
    DELETE FROM orleans.reminders
    WHERE service_id = @ServiceId AND grain_id = @GrainId AND reminder_name = @ReminderName
      AND version = @Version
    RETURNING 1)
SELECT EXISTS (SELECT 1 FROM removed) AS "Deleted"
$q$),

('DeleteReminderRowsKey', $q$
DELETE FROM orleans.reminders WHERE service_id = @ServiceId
$q$);
