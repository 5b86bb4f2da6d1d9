using Telemedicina.Calls.Infrastructure;

namespace Telemedicina.UnitTests.Calls;

public sealed class TurnCredentialsTests
{
    [Fact]
    public void Credentials_FollowTurnRestFormula()
    {
        // Reference value computed independently: printf '1767225600:00000000-0000-0000-0000-000000000001' | openssl dgst -sha1 -hmac s3cret -binary | base64
        var (username, credential) = IceServers.Credentials("s3cret", Guid.Parse("00000000-0000-0000-0000-000000000001"), DateTimeOffset.FromUnixTimeSeconds(1767225600));
        Assert.Equal("1767225600:00000000-0000-0000-0000-000000000001", username);
        Assert.Equal("w/EFVcsyXtnubdwVYOl+b9lmths=", credential);
    }
}
