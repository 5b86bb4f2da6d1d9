-- Grain state for Orleans.Persistence.AdoNet 10.4.2.
--
-- What the provider sends and reads (taken from the 10.4.2 assembly, not from the Orleans main
-- branch): parameters @ServiceId, @GrainTypeString (the state name given to [PersistentState]),
-- @GrainTypeHash, @GrainIdHash, @GrainIdN0, @GrainIdN1 (the Guid or integer key; 0 for string
-- keys), @GrainIdExtensionString (the string key or the key extension, may be NULL),
-- @GrainStateVersion (the ETag as int, NULL before the first write) and @PayloadBinary (the
-- output of the configured IGrainStorageSerializer, JSON by default, always sent as bytes).
-- 10.4.2 reads and writes no other payload column (no PayloadJson / PayloadXml). Reads use
-- "PayloadBinary" and "Version"; writes "NewGrainStateVersion"; clears the first column.
--
-- The version is the ETag. The provider raises InconsistentStateException when a write or clear
-- returns no version, an empty one or the caller's own one. So:
--   * first write (no version): inserts version 1 unless a row exists (a concurrent first writer
--     waits on the unique key and then inserts nothing);
--   * later writes: succeed only against the stored version and bump it (after 2^31 - 1 it wraps
--     to 1: the provider parses the ETag as int, and a new ETag only has to differ from the last);
--   * clear (default, DeleteStateOnClear = false): keeps the row with a NULL payload and a bumped
--     version, so a stale writer still conflicts; a read then reports "no record" with that ETag;
--   * clear with DeleteStateOnClear = true: deletes the row (version checked) and answers the
--     deleted version + 1; the grain's ETag becomes null and its next write is a first write.
-- The payload is opaque to the database. With the default JSON serializer it can be inspected
-- with convert_from(payload, 'UTF8')::jsonb.
CREATE TABLE orleans.grain_state (
    service_id          text NOT NULL,
    grain_type          text NOT NULL,
    grain_id_n0         bigint NOT NULL,
    grain_id_n1         bigint NOT NULL,
    grain_id_extension  text NULL,
    grain_type_hash     integer NOT NULL,
    grain_id_hash       integer NOT NULL,
    payload             bytea NULL,
    version             integer NOT NULL CHECK (version > 0),
    modified_at         timestamptz NOT NULL DEFAULT now(),
    -- The identity of a state row; also the lookup path of every query. NULL extensions are equal.
    CONSTRAINT grain_state_key UNIQUE NULLS NOT DISTINCT (service_id, grain_type, grain_id_n0, grain_id_n1, grain_id_extension)
);

INSERT INTO orleans.orleansquery (querykey, querytext) VALUES

-- At most one row. No row: default state, no ETag. NULL payload (cleared): default state with ETag.
('ReadFromStorageKey', $q$
SELECT s.payload AS "PayloadBinary", s.version AS "Version"
FROM orleans.grain_state s
WHERE s.service_id = @ServiceId
  AND s.grain_type = @GrainTypeString
  AND s.grain_id_n0 = @GrainIdN0 AND s.grain_id_n1 = @GrainIdN1
  AND s.grain_id_extension IS NOT DISTINCT FROM CAST(@GrainIdExtensionString AS text)
$q$),

-- Always one row; NULL "NewGrainStateVersion" means the write lost (InconsistentStateException).
('WriteToStorageKey', $q$
WITH updated AS (
    UPDATE orleans.grain_state s
    SET payload = @PayloadBinary, version = s.version % 2147483647 + 1, modified_at = now()
    WHERE s.service_id = @ServiceId
      AND s.grain_type = @GrainTypeString
      AND s.grain_id_n0 = @GrainIdN0 AND s.grain_id_n1 = @GrainIdN1
      AND s.grain_id_extension IS NOT DISTINCT FROM CAST(@GrainIdExtensionString AS text)
      AND s.version = CAST(@GrainStateVersion AS integer)
    RETURNING s.version),
inserted AS (
    INSERT INTO orleans.grain_state (service_id, grain_type, grain_id_n0, grain_id_n1, grain_id_extension,
                                     grain_type_hash, grain_id_hash, payload, version, modified_at)
    SELECT @ServiceId, @GrainTypeString, @GrainIdN0, @GrainIdN1, CAST(@GrainIdExtensionString AS text),
           @GrainTypeHash, @GrainIdHash, @PayloadBinary, 1, now()
    WHERE CAST(@GrainStateVersion AS integer) IS NULL
    ON CONFLICT ON CONSTRAINT grain_state_key DO NOTHING
    RETURNING version)
SELECT (SELECT version FROM updated UNION ALL SELECT version FROM inserted) AS "NewGrainStateVersion"
$q$),

-- Clear keeping the row: NULL payload, bumped version. No row back = conflict.
('ClearStorageKey', $q$
UPDATE orleans.grain_state s
SET payload = NULL, version = s.version % 2147483647 + 1, modified_at = now()
WHERE s.service_id = @ServiceId
  AND s.grain_type = @GrainTypeString
  AND s.grain_id_n0 = @GrainIdN0 AND s.grain_id_n1 = @GrainIdN1
  AND s.grain_id_extension IS NOT DISTINCT FROM CAST(@GrainIdExtensionString AS text)
  AND s.version = CAST(@GrainStateVersion AS integer)
RETURNING s.version AS "NewGrainStateVersion"
$q$),

-- Clear deleting the row (DeleteStateOnClear = true). No row back = conflict.
('DeleteStorageKey', $q$
DELETE FROM orleans.grain_state s
WHERE s.service_id = @ServiceId
  AND s.grain_type = @GrainTypeString
  AND s.grain_id_n0 = @GrainIdN0 AND s.grain_id_n1 = @GrainIdN1
  AND s.grain_id_extension IS NOT DISTINCT FROM CAST(@GrainIdExtensionString AS text)
  AND s.version = CAST(@GrainStateVersion AS integer)
RETURNING s.version % 2147483647 + 1 AS "NewGrainStateVersion"
$q$);
