-- Cluster membership for Orleans.Clustering.AdoNet 10.4.2 (the deployment id is the cluster id).
--
-- One version row per deployment guards every membership change: a silo reads the table (rows
-- and version in one statement), then inserts or updates its row naming the version it read. The
-- write succeeds only if that is still the current version, and it bumps the version in the same
-- statement. The version row is locked (FOR UPDATE) before anything else happens, so two silos
-- holding the same version are serialized: the second one waits, re-checks the row after the
-- first commits, finds a newer version and changes nothing. The I-am-alive heartbeat is a blind
-- write of one column and never touches the version.
--
-- Silo status codes (Orleans.Runtime.SiloStatus): 1 Created, 2 Joining, 3 Active,
-- 4 ShuttingDown, 5 Stopping, 6 Dead.
CREATE TABLE orleans.membership_version (
    deployment_id text PRIMARY KEY,
    version       integer NOT NULL DEFAULT 0 CHECK (version >= 0),
    changed_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE orleans.membership (
    deployment_id   text NOT NULL REFERENCES orleans.membership_version (deployment_id) ON DELETE CASCADE,
    address         text NOT NULL,
    port            integer NOT NULL,
    generation      integer NOT NULL,
    silo_name       text NOT NULL,
    host_name       text NOT NULL,
    status          integer NOT NULL,
    -- Gateway port, 0 when the silo is no gateway. The provider reads it as a non-null int.
    proxy_port      integer NOT NULL DEFAULT 0,
    -- "<silo>,<yyyy-MM-dd HH:mm:ss.fff GMT>|..." as formatted by the provider; NULL or '' = none.
    suspect_times   text NULL,
    start_time      timestamptz NOT NULL,
    i_am_alive_time timestamptz NOT NULL,
    PRIMARY KEY (deployment_id, address, port, generation)
);

INSERT INTO orleans.orleansquery (querykey, querytext) VALUES

-- Every silo tries this at start-up; true only for the one that created the row.
('InsertMembershipVersionKey', $q$
WITH created AS (
    INSERT INTO orleans.membership_version (deployment_id, version, changed_at)
    VALUES (@DeploymentId, 0, now())
    ON CONFLICT (deployment_id) DO NOTHING
    RETURNING deployment_id)
SELECT EXISTS (SELECT 1 FROM created) AS "Created"
$q$),

-- A silo announces itself. True only if @Version was current, the row did not exist yet and the
-- version was bumped; otherwise nothing changes and the provider re-reads and retries.
('InsertMembershipKey', $q$
WITH claimed AS (
    SELECT deployment_id
    FROM orleans.membership_version
    WHERE deployment_id = @DeploymentId AND version = @Version AND version < 2147483647
    FOR UPDATE),
added AS (
    INSERT INTO orleans.membership (deployment_id, address, port, generation, silo_name, host_name, status,
                                    proxy_port, suspect_times, start_time, i_am_alive_time)
    SELECT c.deployment_id, @Address, @Port, @Generation, @SiloName, @HostName, @Status,
           @ProxyPort, NULL, @StartTime, @IAmAliveTime
    FROM claimed c
    ON CONFLICT (deployment_id, address, port, generation) DO NOTHING
    RETURNING deployment_id),
bumped AS (
    UPDATE orleans.membership_version v
    SET version = v.version + 1, changed_at = now()
    FROM added a
    WHERE v.deployment_id = a.deployment_id
    RETURNING v.version)
SELECT EXISTS (SELECT 1 FROM bumped) AS "Succeeded"
$q$),

-- Status / suspicion change of an existing row, same version rule. A missing row changes nothing.
('UpdateMembershipKey', $q$
WITH claimed AS (
    SELECT deployment_id
    FROM orleans.membership_version
    WHERE deployment_id = @DeploymentId AND version = @Version AND version < 2147483647
    FOR UPDATE),
changed AS (
    UPDATE orleans.membership m
    SET status = @Status, suspect_times = @SuspectTimes, i_am_alive_time = @IAmAliveTime
    FROM claimed c
    WHERE m.deployment_id = c.deployment_id
      AND m.address = @Address AND m.port = @Port AND m.generation = @Generation
    RETURNING m.deployment_id),
bumped AS (
    UPDATE orleans.membership_version v
    SET version = v.version + 1, changed_at = now()
    FROM changed ch
    WHERE v.deployment_id = ch.deployment_id
    RETURNING v.version)
SELECT EXISTS (SELECT 1 FROM bumped) AS "Succeeded"
$q$),

-- Heartbeat: one blind column write by primary key (the provider checks no result).
('UpdateIAmAlivetimeKey', $q$
UPDATE orleans.membership
SET i_am_alive_time = @IAmAliveTime
WHERE deployment_id = @DeploymentId AND address = @Address AND port = @Port AND generation = @Generation
$q$),

-- Reads return the version with the rows, from one snapshot. With no matching member there is
-- still one row: the version with NULL member columns (the provider treats a NULL StartTime as
-- "no entry"). No version row means no rows at all (the table was not initialized).
('MembershipReadRowKey', $q$
SELECT v.deployment_id AS "DeploymentId", v.version AS "Version",
       m.address AS "Address", m.port AS "Port", m.generation AS "Generation",
       m.silo_name AS "SiloName", m.host_name AS "HostName", m.status AS "Status",
       m.proxy_port AS "ProxyPort", m.suspect_times AS "SuspectTimes",
       m.start_time AS "StartTime", m.i_am_alive_time AS "IAmAliveTime"
FROM orleans.membership_version v
LEFT JOIN orleans.membership m
       ON m.deployment_id = v.deployment_id
      AND m.address = @Address AND m.port = @Port AND m.generation = @Generation
WHERE v.deployment_id = @DeploymentId
$q$),

('MembershipReadAllKey', $q$
SELECT v.deployment_id AS "DeploymentId", v.version AS "Version",
       m.address AS "Address", m.port AS "Port", m.generation AS "Generation",
       m.silo_name AS "SiloName", m.host_name AS "HostName", m.status AS "Status",
       m.proxy_port AS "ProxyPort", m.suspect_times AS "SuspectTimes",
       m.start_time AS "StartTime", m.i_am_alive_time AS "IAmAliveTime"
FROM orleans.membership_version v
LEFT JOIN orleans.membership m ON m.deployment_id = v.deployment_id
WHERE v.deployment_id = @DeploymentId
ORDER BY m.start_time, m.address, m.port, m.generation
$q$),

-- Gateways for clients: @Status is Active (3).
('GatewaysQueryKey', $q$
SELECT address AS "Address", proxy_port AS "ProxyPort", generation AS "Generation"
FROM orleans.membership
WHERE deployment_id = @DeploymentId AND status = @Status AND proxy_port > 0
$q$),

-- Drops a whole deployment (tests and tooling). Two statements, one implicit transaction.
('DeleteMembershipTableEntriesKey', $q$
DELETE FROM orleans.membership WHERE deployment_id = @DeploymentId;
DELETE FROM orleans.membership_version WHERE deployment_id = @DeploymentId
$q$),

-- Defunct-silo cleanup, per row (preferred by 10.4.2 when present): the provider reads the table,
-- picks Dead rows whose start, heartbeat and every suspicion are older than the cutoff, and deletes
-- each one only if it still holds exactly the values it read. The version is not changed.
('CleanupDefunctSiloEntryKey', $q$
DELETE FROM orleans.membership
WHERE deployment_id = @DeploymentId
  AND address = @Address AND port = @Port AND generation = @Generation
  AND status = 6
  AND start_time = @StartTime AND i_am_alive_time = @IAmAliveTime
  AND COALESCE(suspect_times, '') = COALESCE(@SuspectTimes, '')
$q$),

-- Defunct-silo cleanup in bulk (required key; used when the per-row key is absent): Dead rows
-- whose start, heartbeat and every suspicion timestamp are older than the cutoff (@IAmAliveTime).
('CleanupDefunctSiloEntriesKey', $q$
DELETE FROM orleans.membership m
WHERE m.deployment_id = @DeploymentId
  AND m.status = 6
  AND m.i_am_alive_time < @IAmAliveTime
  AND m.start_time < @IAmAliveTime
  AND NOT EXISTS (
      SELECT 1
      FROM regexp_matches(COALESCE(m.suspect_times, ''),
                          '(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?) GMT', 'g') AS s(parts)
      WHERE CAST(s.parts[1] || '+00' AS timestamptz) >= @IAmAliveTime)
$q$);
