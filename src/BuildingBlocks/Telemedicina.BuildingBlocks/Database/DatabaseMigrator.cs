using DbUp;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Telemedicina.BuildingBlocks.Database;

/// <summary>
/// Applies every module's migrations with DbUp. Safe when several silos start at once: the whole
/// run holds a PostgreSQL session advisory lock, so a second silo waits and then finds nothing to do.
/// Scripts are journaled per module schema and never edited once released: changes are new scripts.
/// </summary>
public static partial class DatabaseMigrator
{
    // Arbitrary, stable key for pg_advisory_lock; the same in every silo.
    private const long MigrationLockKey = 0x7E1E_0001;

    public static async Task MigrateAsync(
        string connectionString,
        IReadOnlyList<ModuleMigrations> modules,
        ILogger logger,
        CancellationToken cancellationToken,
        Func<CancellationToken, Task>? afterMigrations = null)
    {
        await EnsureDatabaseAsync(connectionString, logger, cancellationToken);

        // Connections of their own, closed when done: the session lock, and whatever session state a script may set,
        // never reach the silos' pools, which do not reset sessions (ConnectionPool).
        connectionString = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString;

        await using var lockConnection = new NpgsqlConnection(connectionString);
        await lockConnection.OpenAsync(cancellationToken);
        await using (var command = new NpgsqlCommand("SELECT pg_advisory_lock(@key)", lockConnection))
        {
            command.Parameters.AddWithValue("key", MigrationLockKey);
            command.CommandTimeout = 300;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        try
        {
            foreach (var module in modules)
            {
                var upgrader = DeployChanges.To
                    .PostgresqlDatabase(connectionString, module.Schema)
                    .WithScriptsEmbeddedInAssembly(module.Assembly, name => name.Contains(ModuleMigrations.ResourceMarker, StringComparison.Ordinal))
                    .JournalToPostgresqlTable(module.Schema, "schema_versions")
                    .WithTransactionPerScript()
                    .WithVariablesDisabled()
                    .LogTo(logger)
                    .Build();
                var result = upgrader.PerformUpgrade();
                if (!result.Successful)
                {
                    throw new InvalidOperationException($"Migration of module {module.Module} failed at script {result.ErrorScript?.Name}.", result.Error);
                }

                LogApplied(logger, module.Module, result.Scripts.Count());
            }

            if (afterMigrations is not null)
            {
                // Still under the lock: one-time initialization (e.g. the first shared keys) happens once.
                await afterMigrations(cancellationToken);
            }
        }
        finally
        {
            await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock(@key)", lockConnection);
            unlock.Parameters.AddWithValue("key", MigrationLockKey);
            await unlock.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    private static async Task EnsureDatabaseAsync(string connectionString, ILogger logger, CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var database = builder.Database ?? "postgres";
        builder.Database = "postgres";
        builder.Pooling = false;
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @name", connection);
        exists.Parameters.AddWithValue("name", database);
        if (await exists.ExecuteScalarAsync(cancellationToken) is not null)
        {
            return;
        }

        try
        {
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database.Replace("\"", "\"\"", StringComparison.Ordinal)}\"", connection);
            await create.ExecuteNonQueryAsync(cancellationToken);
            LogCreatedDatabase(logger, database);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.UniqueViolation)
        {
            // Another silo created it at the same moment.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Migrations of {Module}: {Count} script(s) applied")]
    private static partial void LogApplied(ILogger logger, string module, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created database {Database}")]
    private static partial void LogCreatedDatabase(ILogger logger, string database);
}
