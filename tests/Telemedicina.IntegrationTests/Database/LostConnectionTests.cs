using Dapper;
using Npgsql;
using Telemedicina.BuildingBlocks.Database;

namespace Telemedicina.IntegrationTests.Database;

/// <summary>
/// A connection that breaks while the results of a command of several statements are read. A CI run's database
/// outage test met it once: the booking's reads failed with Dapper's "The reader is closed", which hid the
/// <see cref="NpgsqlException"/>, and the API answered 500 instead of 503. The backend here ends its own session
/// between two results, as a PostgreSQL shutdown does to every session.
/// </summary>
public sealed class LostConnectionTests() : ThrowawayDatabaseTest("lost_connection")
{
    private const string CommandThatLosesItsConnection =
        "SELECT 1; SELECT generate_series(1, 3); SELECT pg_terminate_backend(pg_backend_pid()); SELECT 2;";


    [Fact]
    public async Task ConnectionBrokenBetweenResults_IsReportedAsTheDatabaseBeingUnavailable()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var connection = await Db.OpenConnectionAsync(ct);
        var read = new List<string>();

        var error = await Assert.ThrowsAsync<NpgsqlException>(() => connection.ReadMultipleAsync(
            new CommandDefinition(CommandThatLosesItsConnection, cancellationToken: ct),
            async results =>
            {
                read.Add("first " + await results.ReadSingleAsync<int>());
                read.Add("second " + string.Join(",", await results.ReadAsync<int>()));
                await results.ReadAsync<bool>();
                read.Add("never");
                return 0;
            }));

        Assert.Equal(["first 1", "second 1,2,3"], read);
        Assert.Contains("broke", error.Message);
        Assert.IsType<InvalidOperationException>(error.InnerException);
    }

    [Fact]
    public async Task HealthyConnection_ReadsEveryResult_AndStaysUsable()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var connection = await Db.OpenConnectionAsync(ct);

        var (first, second) = await connection.ReadMultipleAsync(
            new CommandDefinition("SELECT 1; SELECT generate_series(1, 3);", cancellationToken: ct),
            async results => (await results.ReadSingleAsync<int>(), (await results.ReadAsync<int>()).ToList()));

        Assert.Equal(1, first);
        Assert.Equal([1, 2, 3], second);
        Assert.Equal(42, await connection.ExecuteScalarAsync<int>(new CommandDefinition("SELECT 42", cancellationToken: ct)));
    }

    [Fact]
    public async Task AMistakeInTheReading_OnAHealthyConnection_StaysAnError()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var connection = await Db.OpenConnectionAsync(ct);

        // Reading past the last result is a programming error, not an outage: it must not turn into a 503.
        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => connection.ReadMultipleAsync(
            new CommandDefinition("SELECT 1;", cancellationToken: ct),
            async results =>
            {
                await results.ReadSingleAsync<int>();
                return await results.ReadSingleAsync<int>();
            }));
    }
}
