-- Cluster membership (Orleans.Clustering.AdoNet 10.4.2). One version row per deployment (cluster
-- id) guards every change: an insert or update succeeds only against the version the silo read,
-- and bumps it. The version row is locked first, so two silos acting on the same version cannot
-- both win (the loser re-checks the row after the winner commits and finds a newer version).
CREATE TABLE orleans.membership_version (
    deployment_id text PRIMARY KEY,
    changed_at    timestamptz NOT NULL,
    version       integer NOT NULL
);

CREATE TABLE orleans.membership (
    deployment_id  text NOT NULL REFERENCES orleans.membership_version (deployment_id) ON DELETE CASCADE,
    address        text NOT NULL,
    port           integer NOT NULL,
    generation     integer NOT NULL,
    silo_name      text NOT NULL,
    host_name      text NOT NULL,
    status         integer NOT NULL,
    proxy_port     integer NULL,
    suspect_times  text NULL,
    start_time     timestamptz NOT NULL,
    i_am_alive_time timestamptz NOT NULL,
    PRIMARY KEY (deployment_id, address, port, generation)
);

INSERT INTO orleans.orleansquery (querykey, querytext) VALUES
('InsertMembershipVersionKey', $q$
WITH inserted AS (
    INSERT INTO orleans.membership_version (deployment_id, changed_at, version)
    VALUES (@DeploymentId, now(), 0)
    ON CONFLICT (deployment_id) DO NOTHING
    RETURNING 1)
SELECT EXISTS (SELECT 1 FROM inserted)
$q$),

('InsertMembershipKey', $q$
WITH expected AS (
    SELECT deployment_id FROM orleans.membership_version
    WHERE deployment_id = @DeploymentId AND version = @Version
    FOR UPDATE),
inserted AS (
    INSERT INTO orleans.membership (deployment_id, address, port, generation, silo_name, host_name, status,
                                    proxy_port, start_time, i_am_alive_time)
    SELECT deployment_id, @Address, @Port, @Generation, @SiloName, @HostName, @Status, @ProxyPort, @StartTime, @IAmAliveTime
    FROM expected
    ON CONFLICT (deployment_id, address, port, generation) DO NOTHING
    RETURNING deployment_id),
bumped AS (
    UPDATE orleans.membership_version SET version = version + 1, changed_at = now()
    WHERE deployment_id IN (SELECT deployment_id FROM inserted)
    RETURNING 1)
SELECT EXISTS (SELECT 1 FROM bumped)
$q$),

('UpdateMembershipKey', $q$
WITH expected AS (
    SELECT deployment_id FROM orleans.membership_version
    WHERE deployment_id = @DeploymentId AND version = @Version
    FOR UPDATE),
updated AS (
    UPDATE orleans.membership m
    SET status = @Status, suspect_times = @SuspectTimes, i_am_alive_time = @IAmAliveTime
    FROM expected e
    WHERE m.deployment_id = e.deployment_id AND m.address = @Address AND m.port = @Port AND m.generation = @Generation
    RETURNING m.deployment_id),
bumped AS (
    UPDATE orleans.membership_version SET version = version + 1, changed_at = now()
    WHERE deployment_id IN (SELECT deployment_id FROM updated)
    RETURNING 1)
SELECT EXISTS (SELECT 1 FROM bumped)
$q$),

('UpdateIAmAlivetimeKey', $q$
UPDATE orleans.membership SET i_am_alive_time = @IAmAliveTime
WHERE deployment_id = @DeploymentId AND address = @Address AND port = @Port AND generation = @Generation
$q$),

-- Reads return the version even when there is no member: one row with NULL member columns.
('MembershipReadRowKey', $q$
SELECT v.version AS "Version", m.address AS "Address", m.port AS "Port", m.generation AS "Generation",
       m.silo_name AS "SiloName", m.host_name AS "HostName", m.status AS "Status", m.proxy_port AS "ProxyPort",
       m.suspect_times AS "SuspectTimes", m.start_time AS "StartTime", m.i_am_alive_time AS "IAmAliveTime"
FROM orleans.membership_version v
LEFT JOIN orleans.membership m
       ON m.deployment_id = v.deployment_id AND m.address = @Address AND m.port = @Port AND m.generation = @Generation
WHERE v.deployment_id = @DeploymentId
$q$),

('MembershipReadAllKey', $q$
SELECT v.version AS "Version", m.address AS "Address", m.port AS "Port", m.generation AS "Generation",
       m.silo_name AS "SiloName", m.host_name AS "HostName", m.status AS "Status", m.proxy_port AS "ProxyPort",
       m.suspect_times AS "SuspectTimes", m.start_time AS "StartTime", m.i_am_alive_time AS "IAmAliveTime"
FROM orleans.membership_version v
LEFT JOIN orleans.membership m ON m.deployment_id = v.deployment_id
WHERE v.deployment_id = @DeploymentId
$q$),

('GatewaysQueryKey', $q$
SELECT address AS "Address", proxy_port AS "ProxyPort", generation AS "Generation"
FROM orleans.membership
WHERE deployment_id = @DeploymentId AND status = @Status AND proxy_port > 0
$q$),

('DeleteMembershipTableEntriesKey', $q$
DELETE FROM orleans.membership_version WHERE deployment_id = @DeploymentId
$q$),

-- Rows of silos that stopped sending I-am-alive before the cutoff and are not active.
('CleanupDefunctSiloEntriesKey', $q$
DELETE FROM orleans.membership
WHERE deployment_id = @DeploymentId AND i_am_alive_time < @IAmAliveTime AND status <> 3
$q$);
