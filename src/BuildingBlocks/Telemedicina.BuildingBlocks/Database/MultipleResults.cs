using System.Data;
using Dapper;
using Npgsql;

namespace Telemedicina.BuildingBlocks.Database;

/// <summary>Commands of several statements, read in one round trip.</summary>
public static class MultipleResults
{
    /// <summary>
    /// Runs <paramref name="command"/> and hands its results to <paramref name="read"/>. When the connection breaks
    /// while they are read (PostgreSQL restarting, a network cut), Dapper moves to the next result in a
    /// <c>finally</c> block, and that move fails with "The reader is closed": an <see cref="InvalidOperationException"/>
    /// that replaces the <see cref="NpgsqlException"/> saying what happened, so the API answered a 500 for an outage.
    /// On a broken connection it is thrown again as what it is: the database being unavailable (a 503).
    /// </summary>
    public static async Task<T> ReadMultipleAsync<T>(
        this NpgsqlConnection connection, CommandDefinition command, Func<SqlMapper.GridReader, Task<T>> read)
    {
        try
        {
            await using var results = await connection.QueryMultipleAsync(command);
            return await read(results);
        }
        catch (InvalidOperationException e) when (connection.FullState.HasFlag(ConnectionState.Broken))
        {
            throw new NpgsqlException("The connection to PostgreSQL broke while the results of a command were read.", e);
        }
    }
}
