using Npgsql;
using Telemedicina.BuildingBlocks.Database;

namespace Telemedicina.UnitTests.Database;

public sealed class ConnectionPoolTests
{
    [Fact]
    public void AConnectionStringThatDoesNotSizeThePool_GetsTheBoundedDefault()
    {
        var result = new NpgsqlConnectionStringBuilder(ConnectionPool.WithDefaults("Host=db.internal;Port=5432;Username=t;Password=\"a;b\";Database=t"));

        Assert.Equal(ConnectionPool.DefaultMaxPoolSize, result.MaxPoolSize);
        Assert.Equal(ConnectionPool.DefaultMaxAutoPrepare, result.MaxAutoPrepare);
        Assert.True(result.NoResetOnClose);
        // Everything else is kept as given.
        Assert.Equal(("db.internal", 5432, "t", "a;b", "t"), (result.Host, result.Port, result.Username, result.Password, result.Database));
    }

    [Theory]
    [InlineData("Maximum Pool Size=40", 40)]
    [InlineData("MAXIMUM POOL SIZE=7", 7)]
    [InlineData("MaxPoolSize=100", 100)]
    [InlineData("maximum pool size=3", 3)]
    public void AnExplicitPoolSize_Wins_UnderAnyOfItsNames(string setting, int expected)
    {
        var result = new NpgsqlConnectionStringBuilder(ConnectionPool.WithDefaults("Host=db.internal;Database=t;" + setting));

        Assert.Equal(expected, result.MaxPoolSize);
    }

    [Theory]
    [InlineData("Max Auto Prepare=0", 0)]
    [InlineData("MaxAutoPrepare=20", 20)]
    [InlineData("MAX AUTO PREPARE=5", 5)]
    public void AnExplicitAutoPrepareLimit_Wins_UnderAnyOfItsNames(string setting, int expected)
    {
        var result = new NpgsqlConnectionStringBuilder(ConnectionPool.WithDefaults("Host=db.internal;Database=t;" + setting));

        Assert.Equal(expected, result.MaxAutoPrepare);
        Assert.Equal(ConnectionPool.DefaultMaxPoolSize, result.MaxPoolSize);
    }

    [Theory]
    [InlineData("No Reset On Close=false")]
    [InlineData("NoResetOnClose=false")]
    [InlineData("NO RESET ON CLOSE=False")]
    public void AnExplicitSessionReset_Wins_UnderAnyOfItsNames(string setting)
    {
        var result = new NpgsqlConnectionStringBuilder(ConnectionPool.WithDefaults("Host=db.internal;Database=t;" + setting));

        Assert.False(result.NoResetOnClose);
        Assert.Equal(ConnectionPool.DefaultMaxAutoPrepare, result.MaxAutoPrepare);
    }
}
