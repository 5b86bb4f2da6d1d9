using System.Data.Common;
using Npgsql;

namespace Telemedicina.BuildingBlocks.Database;

/// <summary>The connection pool a silo gets when its connection string does not size one.</summary>
/// <remarks>
/// Npgsql's default of 100 connections per pool let a burst open a hundred or more new PostgreSQL backends at once
/// (a silo has two pools: the application's and Orleans'). After a <c>kill -9</c> of one of three silos, the 200
/// rooms coming back on a survivor opened 200–260 backends within three seconds; forking them and warming their
/// catalog caches took half of the machine's CPU, and every resume waited behind it. S5 (docs/benchmarks.md), four
/// runs each on one 2-core machine: 8.5–9.5 s from the kill until every room relayed again with 100 per pool,
/// 4.3–6.1 s (mean 5.5) with 16, 4.3–4.8 s (mean 4.6) with 10. A bounded pool makes a burst queue for a connection
/// for milliseconds instead. An explicit <c>Maximum Pool Size</c> in the connection string always wins: size it to
/// what the database can run at once, shared among the silos.
/// </remarks>
public static class ConnectionPool
{
    /// <summary>Connections per pool (per silo, each of its two pools) unless the connection string says otherwise.</summary>
    public const int DefaultMaxPoolSize = 10;

    /// <summary><paramref name="connectionString"/>, with <see cref="DefaultMaxPoolSize"/> unless it sets its own.</summary>
    public static string WithDefaults(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        // Npgsql writes back only the keywords that were given, under their canonical names (any alias or case).
        var given = new DbConnectionStringBuilder { ConnectionString = builder.ConnectionString };
        if (!given.ContainsKey("Maximum Pool Size"))
        {
            builder.MaxPoolSize = DefaultMaxPoolSize;
        }

        return builder.ConnectionString;
    }
}
