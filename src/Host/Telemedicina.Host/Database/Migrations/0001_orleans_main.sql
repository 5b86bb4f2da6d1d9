-- Orleans ADO.NET providers read their SQL from this table (they ship none): each provider loads
-- `SELECT QueryKey, QueryText FROM OrleansQuery` through a connection whose search_path is
-- `orleans`, and runs the texts with its own named parameters (@ServiceId, @Version, ...).
-- Every query below is ours, written for the 10.4.2 providers' parameters and result columns.
CREATE TABLE orleans.orleansquery (
    querykey  varchar(64) PRIMARY KEY,
    querytext text NOT NULL
);
