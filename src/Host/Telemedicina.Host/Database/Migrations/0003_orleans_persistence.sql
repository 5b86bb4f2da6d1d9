-- Grain state (Orleans.Persistence.AdoNet 10.4.2, binary payloads). The version is the ETag:
-- a write with a version succeeds only against that version; a write without one only when no
-- row exists. On a conflict the queries return the caller's own version (or nothing), which the
-- provider reports as an InconsistentStateException.
CREATE TABLE orleans.grain_state (
    service_id          text NOT NULL,
    grain_type          text NOT NULL,
    grain_type_hash     integer NOT NULL,
    grain_id_hash       integer NOT NULL,
    grain_id_n0         bigint NOT NULL,
    grain_id_n1         bigint NOT NULL,
    grain_id_extension  text NULL,
    payload             bytea NULL,
    version             integer NOT NULL,
    modified_at         timestamptz NOT NULL,
    CONSTRAINT grain_state_key UNIQUE NULLS NOT DISTINCT (service_id, grain_type, grain_id_n0, grain_id_n1, grain_id_extension)
);

CREATE INDEX grain_state_hash_idx ON orleans.grain_state (grain_id_hash, grain_type_hash);

INSERT INTO orleans.orleansquery (querykey, querytext) VALUES
('ReadFromStorageKey', $q$
SELECT payload AS "PayloadBinary", version AS "Version"
FROM orleans.grain_state
WHERE grain_id_hash = @GrainIdHash AND grain_type_hash = @GrainTypeHash
  AND service_id = @ServiceId AND grain_type = @GrainTypeString
  AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
  AND grain_id_extension IS NOT DISTINCT FROM CAST(@GrainIdExtensionString AS text)
$q$),

('WriteToStorageKey', $q$
WITH updated AS (
    UPDATE orleans.grain_state
    SET payload = @PayloadBinary, version = version + 1, modified_at = now()
    WHERE CAST(@GrainStateVersion AS integer) IS NOT NULL
      AND grain_id_hash = @GrainIdHash AND grain_type_hash = @GrainTypeHash
      AND service_id = @ServiceId AND grain_type = @GrainTypeString
      AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
      AND grain_id_extension IS NOT DISTINCT FROM CAST(@GrainIdExtensionString AS text)
      AND version = CAST(@GrainStateVersion AS integer)
    RETURNING version),
inserted AS (
    INSERT INTO orleans.grain_state (service_id, grain_type, grain_type_hash, grain_id_hash, grain_id_n0, grain_id_n1,
                                     grain_id_extension, payload, version, modified_at)
    SELECT @ServiceId, @GrainTypeString, @GrainTypeHash, @GrainIdHash, @GrainIdN0, @GrainIdN1,
           CAST(@GrainIdExtensionString AS text), @PayloadBinary, 1, now()
    WHERE CAST(@GrainStateVersion AS integer) IS NULL
    ON CONFLICT ON CONSTRAINT grain_state_key DO NOTHING
    RETURNING version)
SELECT COALESCE((SELECT version FROM updated), (SELECT version FROM inserted), CAST(@GrainStateVersion AS integer)) AS "NewGrainStateVersion"
$q$),

('ClearStorageKey', $q$
UPDATE orleans.grain_state
SET payload = NULL, version = version + 1, modified_at = now()
WHERE grain_id_hash = @GrainIdHash AND grain_type_hash = @GrainTypeHash
  AND service_id = @ServiceId AND grain_type = @GrainTypeString
  AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
  AND grain_id_extension IS NOT DISTINCT FROM CAST(@GrainIdExtensionString AS text)
  AND version = CAST(@GrainStateVersion AS integer)
RETURNING version AS "NewGrainStateVersion"
$q$),

('DeleteStorageKey', $q$
DELETE FROM orleans.grain_state
WHERE grain_id_hash = @GrainIdHash AND grain_type_hash = @GrainTypeHash
  AND service_id = @ServiceId AND grain_type = @GrainTypeString
  AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
  AND grain_id_extension IS NOT DISTINCT FROM CAST(@GrainIdExtensionString AS text)
  AND version = CAST(@GrainStateVersion AS integer)
RETURNING version + 1 AS "NewGrainStateVersion"
$q$);
