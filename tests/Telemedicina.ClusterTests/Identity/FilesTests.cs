using System.Net;
using System.Text.Json;
using Telemedicina.Testing;

namespace Telemedicina.ClusterTests.Identity;

/// <summary>
/// Avatars and doctors' credential documents in the file store: what each caller may see, the type
/// checked against the file's bytes, the size limits, and erasure removing the files.
/// </summary>
public sealed class FilesTests(ClusterFixture fixture)
{
    internal static readonly byte[] Png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 1, 2, 3];
    internal static readonly byte[] Pdf = "%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"u8.ToArray();

    [Fact]
    public async Task Avatars_DoctorsArePublic_PatientsOnlyToThemselvesAndAdmins_AndErasureDeletesThem()
    {
        using var api = fixture.Cluster.Api(0);
        using var other = fixture.Cluster.Api(1);
        var doctor = await Scenario.VerifiedDoctorAsync(api, fixture.Admin);
        var patient = await api.RegisterPatientAsync();
        var stranger = await other.RegisterPatientAsync();

        Assert.Equal(HttpStatusCode.NoContent, await PutAsync(api, "/api/v1/identity/me/avatar", Png, "image/png", doctor));
        Assert.Equal(HttpStatusCode.NoContent, await PutAsync(api, "/api/v1/identity/me/avatar", Png, "image/png", patient));

        // Stored once, served by any silo.
        Assert.Equal(Png, await GetBytesAsync(other, $"/api/v1/identity/users/{doctor.Id}/avatar", stranger));
        Assert.Equal(Png, await GetBytesAsync(other, $"/api/v1/identity/users/{patient.Id}/avatar", patient));
        Assert.Equal(Png, await GetBytesAsync(other, $"/api/v1/identity/users/{patient.Id}/avatar", fixture.Admin));
        using (var hidden = await other.SendAsync(HttpMethod.Get, $"/api/v1/identity/users/{patient.Id}/avatar", token: stranger.AccessToken))
        {
            Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
        }

        using (var hiddenFromDoctor = await other.SendAsync(HttpMethod.Get, $"/api/v1/identity/users/{patient.Id}/avatar", token: doctor.AccessToken))
        {
            Assert.Equal(HttpStatusCode.NotFound, hiddenFromDoctor.StatusCode);
        }

        // The declared type must match the bytes, and the size is limited.
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, await PutAsync(api, "/api/v1/identity/me/avatar", "<svg onload=alert(1)>"u8.ToArray(), "image/png", patient));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, await PutAsync(api, "/api/v1/identity/me/avatar", Png, "image/svg+xml", patient));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, await PutAsync(api, "/api/v1/identity/me/avatar", [.. Png, .. new byte[600 * 1024]], "image/png", patient));
        Assert.Equal(Png, await GetBytesAsync(api, $"/api/v1/identity/users/{patient.Id}/avatar", patient));

        await api.SendAsync<JsonElement>(HttpMethod.Post, "/api/v1/privacy/erasure", new { password = patient.Password }, patient.AccessToken);
        using var gone = await api.SendAsync(HttpMethod.Get, $"/api/v1/identity/users/{patient.Id}/avatar", token: fixture.Admin.AccessToken);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.DoesNotContain(Directory.EnumerateFiles(fixture.Cluster.Environment["Storage__FileSystem__Root"], "*", SearchOption.AllDirectories),
            f => f.Contains(patient.Id.ToString("N"), StringComparison.Ordinal));
    }

    [Fact]
    public async Task CredentialDocuments_AreSeenByTheirDoctorAndAdminsOnly()
    {
        using var api = fixture.Cluster.Api(1);
        var doctor = await api.RegisterDoctorAsync();
        var otherDoctor = await api.RegisterDoctorAsync();
        var patient = await api.RegisterPatientAsync();

        using var upload = await SendFileAsync(api, HttpMethod.Post, "/api/v1/identity/doctors/me/documents?name=crm-frente.pdf", Pdf, "application/pdf", doctor);
        Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        var document = JsonSerializer.Deserialize<JsonElement>(await upload.Content.ReadAsStringAsync());
        var id = document.GetProperty("id").GetGuid();
        Assert.Equal("crm-frente.pdf", document.GetProperty("fileName").GetString());

        var listed = await api.SendAsync<JsonElement[]>(HttpMethod.Get, $"/api/v1/admin/doctors/{doctor.Id}/documents", null, fixture.Admin.AccessToken);
        Assert.Equal(id, Assert.Single(listed).GetProperty("id").GetGuid());
        Assert.Equal(Pdf, await GetBytesAsync(api, $"/api/v1/admin/doctors/{doctor.Id}/documents/{id}", fixture.Admin));
        Assert.Single(await api.SendAsync<JsonElement[]>(HttpMethod.Get, "/api/v1/identity/doctors/me/documents", null, doctor.AccessToken));
        Assert.Empty(await api.SendAsync<JsonElement[]>(HttpMethod.Get, "/api/v1/identity/doctors/me/documents", null, otherDoctor.AccessToken));

        // A doctor who sent nothing has an empty list; an id that is no doctor's (a patient's, a mistyped one) is a 404.
        // It answered [] for both, so a typo read as "sent nothing".
        Assert.Empty(await api.SendAsync<JsonElement[]>(HttpMethod.Get, $"/api/v1/admin/doctors/{otherDoctor.Id}/documents", null, fixture.Admin.AccessToken));
        foreach (var notADoctor in new[] { patient.Id, Guid.NewGuid() })
        {
            using var unknown = await api.SendAsync(HttpMethod.Get, $"/api/v1/admin/doctors/{notADoctor}/documents", token: fixture.Admin.AccessToken);
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
        }

        foreach (var caller in new[] { doctor, otherDoctor, patient })
        {
            using var refused = await api.SendAsync(HttpMethod.Get, $"/api/v1/admin/doctors/{doctor.Id}/documents/{id}", token: caller.AccessToken);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        using var byPatient = await SendFileAsync(api, HttpMethod.Post, "/api/v1/identity/doctors/me/documents", Pdf, "application/pdf", patient);
        Assert.Equal(HttpStatusCode.Forbidden, byPatient.StatusCode);
        using var notPdf = await SendFileAsync(api, HttpMethod.Post, "/api/v1/identity/doctors/me/documents", Png, "application/pdf", doctor);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, notPdf.StatusCode);
        Assert.Equal("application/problem+json", notPdf.Content.Headers.ContentType?.MediaType);
    }

    internal static Task<HttpResponseMessage> SendFileAsync(TelemedicinaApi api, HttpMethod method, string path, byte[] body, string contentType, TestUser user) =>
        api.SendFileAsync(method, path, body, contentType, user);

    private static async Task<HttpStatusCode> PutAsync(TelemedicinaApi api, string path, byte[] body, string contentType, TestUser user)
    {
        using var response = await SendFileAsync(api, HttpMethod.Put, path, body, contentType, user);
        return response.StatusCode;
    }

    private static async Task<byte[]> GetBytesAsync(TelemedicinaApi api, string path, TestUser user)
    {
        using var response = await api.SendAsync(HttpMethod.Get, path, token: user.AccessToken);
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode}");
        return await response.Content.ReadAsByteArrayAsync();
    }
}
