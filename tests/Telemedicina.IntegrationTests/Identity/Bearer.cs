using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Telemedicina.Identity;
using Telemedicina.Identity.Application;

namespace Telemedicina.IntegrationTests.Identity;

/// <summary>The Identity module's bearer authentication of a composed silo, run on a request the test shapes.</summary>
internal static class Bearer
{
    /// <summary>A patient's access token for a session of its own, signed with the silo's current key, valid 15 minutes.</summary>
    public static string PatientToken(IServiceProvider silo, Guid user)
    {
        var now = DateTimeOffset.UtcNow;
        return silo.GetRequiredService<TokenSigner>().Sign(
            silo.GetRequiredService<IOptions<IdentitySettings>>().Value.Audience,
            now.AddSeconds(-1),
            now.AddMinutes(15),
            new AccessTokenSubject(user, "patient", "Paciente", Guid.NewGuid().ToString("N")));
    }

    /// <summary>Authenticates a GET of <paramref name="path"/> that <paramref name="shape"/> gives its token (and anything else).</summary>
    public static async Task<(AuthenticateResult Result, HttpRequest Request)> AuthenticateAsync(IServiceProvider silo, string path, Action<HttpRequest> shape)
    {
        await using var scope = silo.CreateAsyncScope();
        var http = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        http.Request.Method = "GET";
        http.Request.Path = path;
        shape(http.Request);
        var result = await scope.ServiceProvider.GetRequiredService<IAuthenticationService>().AuthenticateAsync(http, JwtBearerDefaults.AuthenticationScheme);
        return (result, http.Request);
    }
}
