using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection;
using Telemedicina.Identity.Application;
using Telemedicina.Identity.Infrastructure;

namespace Telemedicina.IntegrationTests.Identity;

/// <summary>
/// The bearer authentication of two silos as the Identity module composes it, with the signing keys of a real database:
/// a session's token is verified once per silo however often it is presented, and what the signature's memory does not
/// decide (an ended session) still refuses it.
/// </summary>
public sealed class VerifiedSignaturesBearerTests() : ModulesTest("signatures")
{
    [Fact]
    public async Task ASessionsToken_IsVerifiedOncePerSilo_AndRefusedOnceTheSessionEnds()
    {
        var ct = TestContext.Current.CancellationToken;
        var (one, two) = await TwoSilosAsync(TimeProvider.System, ct);
        var user = Guid.NewGuid();
        var token = Bearer.PatientToken(one, user);

        for (var i = 0; i < 5; i++)
        {
            var result = await AuthenticateAsync(one, token);
            Assert.True(result.Succeeded, result.Failure?.Message);
            Assert.Equal(user.ToString(), result.Principal.FindFirst("sub")?.Value);
        }

        Assert.True((await AuthenticateAsync(two, token)).Succeeded);
        Assert.Equal(1, one.GetRequiredService<VerifiedSignatures>().Verifications);
        Assert.Equal(1, two.GetRequiredService<VerifiedSignatures>().Verifications);

        // An admin ends the session: the remembered signature does not let the token in.
        await using (var connection = await Db.OpenConnectionAsync(ct))
        {
            await one.GetRequiredService<AccessRevocations>().RevokeAsync(user, connection);
        }

        var refused = await AuthenticateAsync(one, token);
        Assert.False(refused.Succeeded);
        Assert.Equal("The session was ended.", refused.Failure?.Message);
        Assert.Equal(1, one.GetRequiredService<VerifiedSignatures>().Verifications);

        // Another signature over the same bytes: a new check, which fails.
        var signatureStart = token.LastIndexOf('.') + 1;
        var tampered = await AuthenticateAsync(one, token[..signatureStart] + (token[signatureStart] == 'A' ? 'B' : 'A') + token[(signatureStart + 1)..]);
        Assert.False(tampered.Succeeded);
        Assert.Equal(2, one.GetRequiredService<VerifiedSignatures>().Verifications);
    }

    private static async Task<AuthenticateResult> AuthenticateAsync(IServiceProvider silo, string token) =>
        (await Bearer.AuthenticateAsync(silo, "/api/v1/identity/me", r => r.Headers.Authorization = "Bearer " + token)).Result;
}
