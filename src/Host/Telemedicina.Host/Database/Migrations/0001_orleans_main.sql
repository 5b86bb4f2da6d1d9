-- Orleans ADO.NET providers (clustering, grain persistence, reminders; 10.4.2) ship no SQL: each
-- one loads its statements at start-up with the unqualified
--     SELECT QueryKey, QueryText FROM OrleansQuery
-- over a connection whose search_path is `orleans`, so this table is orleans.orleansquery (the
-- unquoted names fold to lower case; Npgsql matches result columns case-insensitively).
-- The texts are then run with the providers' own named parameters (@DeploymentId, @Version, ...)
-- and read back by result column name. Every text in 0002-0004 is written by us for the
-- parameters and result columns the 10.4.2 assemblies actually use; objects are always
-- schema-qualified so nothing depends on the search_path.
--
-- Conventions of the query texts: one text per key, dollar-quoted ($q$...$q$), result columns
-- aliased in double quotes to the names the providers read ("Version", "PayloadBinary", ...).
-- Conditional writes are single statements (data-modifying CTEs), hence atomic.
CREATE SCHEMA IF NOT EXISTS orleans;

CREATE TABLE orleans.orleansquery (
    querykey  varchar(64) PRIMARY KEY,
    querytext text NOT NULL
);
