using System.Security.Claims;
using Telemedicina.BuildingBlocks.Http;
using Telemedicina.Identity;
using Telemedicina.Identity.Contracts;

namespace Telemedicina.UnitTests.Identity;

/// <summary>The principal a hub connection keeps for its lifetime: only the claims the app reads, as plain claims.</summary>
public sealed class LeanPrincipalTests
{
    [Fact]
    public void KeepsSubjectRoleNameAndSession_AndNothingElse()
    {
        var id = Guid.NewGuid();
        var session = Guid.NewGuid();
        var validated = new ClaimsPrincipal(new ClaimsIdentity(
            [
                new Claim("sub", id.ToString()), new Claim("jti", "abc"), new Claim("role", "doctor"), new Claim("name", "Dra. Ana"),
                new Claim("amr", "mfa"), new Claim("iss", "https://telemedicina.local"), new Claim("aud", "telemedicina-api"),
                new Claim("exp", "1900000000", ClaimValueTypes.Integer64), new Claim("iat", "1899999000"), new Claim("nbf", "1899999000"),
                new Claim("sid", session.ToString("N")),
            ],
            "Bearer", "name", "role"));

        var lean = IdentityModule.LeanPrincipal(validated);

        Assert.True(lean.Identity!.IsAuthenticated);
        Assert.Equal("Bearer", lean.Identity.AuthenticationType);
        Assert.Equal(["sub", "role", "name", "sid"], lean.Claims.Select(c => c.Type));
        Assert.Equal(id, lean.GetId());
        Assert.Equal("doctor", lean.FindRole());
        Assert.True(lean.IsInRole("doctor"));
        Assert.Equal("Dra. Ana", lean.Identity.Name);
        Assert.Equal(session, AccessTokenClaims.FindSession(lean));
        Assert.All(lean.Claims, c => Assert.Same(lean.Identity, c.Subject));
    }
}
