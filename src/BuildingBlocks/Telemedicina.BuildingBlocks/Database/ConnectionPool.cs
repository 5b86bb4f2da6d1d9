using System.Data.Common;
using Npgsql;

namespace Telemedicina.BuildingBlocks.Database;

/// <summary>The connection pool a silo gets when its connection string does not configure one.</summary>
/// <remarks>
/// <para>
/// Size. Npgsql's default of 100 connections per pool let a burst open a hundred or more new PostgreSQL backends at
/// once (a silo has two pools: the application's and Orleans'). After a <c>kill -9</c> of one of three silos, the 200
/// rooms coming back on a survivor opened 200–260 backends within three seconds; forking them and warming their
/// catalog caches took half of the machine's CPU, and every resume waited behind it. S5 (docs/benchmarks.md), four
/// runs each on one 2-core machine: 8.5–9.5 s from the kill until every room relayed again with 100 per pool,
/// 4.3–6.1 s (mean 5.5) with 16, 4.3–4.8 s (mean 4.6) with 10. A bounded pool makes a burst queue for a connection
/// for milliseconds instead.
/// </para>
/// <para>
/// Prepared statements. Every command used to be parsed and planned by PostgreSQL on every execution. With
/// Npgsql's automatic preparation a pooled connection prepares a statement on the server once it has run it a few
/// times, and keeps it while the connection lives (across pool rentals). S4 (64 clients booking over two silos,
/// alternating runs on one 2-core machine): 72.4 and 78.7 bookings/s without, 114.5 and 112.3 with; requests answered
/// 9,479 and 11,404 against 15,554 and 13,657 in 20 s. Every query names its columns, so a migration that adds a
/// column or an index leaves prepared statements working. One that changes the type of a column a query selects
/// fails that query once on each connection that had prepared it (0A000, "cached plan must not change result type";
/// Npgsql then prepares it again): one more reason migrations are expand-then-contract (ADR 0007).
/// <c>PreparedStatementsTests</c> shows both.
/// </para>
/// <para>
/// No reset on return. By default Npgsql resets a pooled connection's session every time it goes back to the pool: with
/// prepared statements kept, that is seven statements (<c>SET SESSION AUTHORIZATION DEFAULT; RESET ALL; CLOSE ALL;
/// UNLISTEN *; SELECT pg_advisory_unlock_all(); DISCARD SEQUENCES; DISCARD TEMP</c>) that PostgreSQL parses and runs
/// before the next command of the next rental, and a booking request rents four (three reads, the insert). Nothing
/// the silos run keeps session state: every lock is transaction-scoped (<c>pg_advisory_xact_lock</c>), every setting
/// <c>SET LOCAL</c>, there are no temporary tables, cursors or <c>LISTEN</c>, and the migrations run on connections of
/// their own (<see cref="DatabaseMigrator"/>). A transaction left open is still rolled back when its connection goes back.
/// S4 (docs/benchmarks.md; 64 clients booking over two silos, 60 s, two runs each on one 2-core machine):
/// PostgreSQL CPU per request 0.73 and 0.69 ms with the reset, 0.62 and 0.62 ms without; 421.0 and 447.5 bookings/s
/// against 465.8 and 457.4. <c>PooledSessionTests</c> shows what it means for code: a session-level <c>SET</c>
/// would outlive its rental, so there must be none.
/// </para>
/// <para>
/// An explicit <c>Maximum Pool Size</c>, <c>Max Auto Prepare</c> or <c>No Reset On Close</c> in the connection string
/// always wins: size the pool to what the database can run at once, shared among the silos, and set <c>Max Auto
/// Prepare=0</c> behind a pooler that cannot keep prepared statements (PgBouncer in transaction mode before 1.21).
/// </para>
/// </remarks>
public static class ConnectionPool
{
    /// <summary>Connections per pool (per silo, each of its two pools) unless the connection string says otherwise.</summary>
    public const int DefaultMaxPoolSize = 10;

    /// <summary>Statements each connection keeps prepared (the most recently used) unless the connection string says otherwise.</summary>
    public const int DefaultMaxAutoPrepare = 64;

    /// <summary>
    /// <paramref name="connectionString"/>, with <see cref="DefaultMaxPoolSize"/>, <see cref="DefaultMaxAutoPrepare"/>
    /// and no session reset on return to the pool, unless it sets its own.
    /// </summary>
    public static string WithDefaults(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        // Npgsql writes back only the keywords that were given, under their canonical names (any alias or case).
        var given = new DbConnectionStringBuilder { ConnectionString = builder.ConnectionString };
        if (!given.ContainsKey("Maximum Pool Size"))
        {
            builder.MaxPoolSize = DefaultMaxPoolSize;
        }

        if (!given.ContainsKey("Max Auto Prepare"))
        {
            builder.MaxAutoPrepare = DefaultMaxAutoPrepare;
        }

        if (!given.ContainsKey("No Reset On Close"))
        {
            builder.NoResetOnClose = true;
        }

        return builder.ConnectionString;
    }
}
