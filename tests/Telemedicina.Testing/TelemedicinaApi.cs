using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using OtpNet;

namespace Telemedicina.Testing;

/// <summary>A thin HTTP client for the public contract, pointed at one silo (or the load balancer).</summary>
public sealed class TelemedicinaApi(Uri baseUrl, Outbox? outbox = null) : IDisposable
{
    public const string DemoPassword = "Telemedicina!2026";
    public const string DemoAdminTotpSecret = "JBSWY3DPEHPK3PXP";
    private static readonly Dictionary<string, long> LastTotpSteps = new(StringComparer.Ordinal);

    public HttpClient Http { get; } = new() { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(30) };

    public Uri BaseUrl => baseUrl;

    /// <summary>
    /// A TOTP code for a step later than any this process used for that secret against that database
    /// (<paramref name="scope"/>), so replay protection never refuses it. The server accepts the current step ± 1; the
    /// code is for the current or the next step, never the previous one (a previous-step code expires when the current
    /// step ends, and one made in its last moments was refused as "inválido" by the time it arrived: a CI run's browser
    /// crash test). So two logins of one account fit in a 30 s step and a third waits for the next.
    /// The server keeps the last step per user in its own database, so steps are tracked per database: every test
    /// cluster seeds its own demo admin. Tracked per process instead, the demo admin's logins of all the tests running
    /// at once shared one step every 30 s, and a test that lost the race eleven times in a row found its 5-minute
    /// challenge expired (a CI run).
    /// </summary>
    public static async Task<string> NextTotpAsync(string secret, string scope = "", CancellationToken ct = default)
    {
        var key = scope + "\n" + secret;
        while (true)
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 30;
            lock (LastTotpSteps)
            {
                var step = Math.Max(now, LastTotpSteps.GetValueOrDefault(key, long.MinValue) + 1);
                if (step <= now + 1)
                {
                    LastTotpSteps[key] = step;
                    return new Totp(Base32Encoding.ToBytes(secret)).ComputeTotp(DateTimeOffset.FromUnixTimeSeconds(step * 30).UtcDateTime);
                }
            }

            await Task.Delay(TimeSpan.FromSeconds(((now + 1) * 30) - DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1), ct);
        }
    }

    // The database behind this client: a test cluster's outbox is its own, like its database.
    private string TotpScope => outbox?.Directory ?? baseUrl.GetLeftPart(UriPartial.Authority);

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body = null, string? token = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, options: ApiJson.Options);
        }

        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await Http.SendAsync(request);
    }

    public async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, string? token, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await SendAsync(method, path, body, token);
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != expected)
        {
            throw new ApiException(response.StatusCode, text, $"{method} {path}");
        }

        return System.Text.Json.JsonSerializer.Deserialize<T>(text, ApiJson.Options)!;
    }

    /// <summary>A patient; with <paramref name="withPersonalData"/> also a CPF, phone and birth date (all optional at registration).</summary>
    public async Task<TestUser> RegisterPatientAsync(string? name = null, bool confirm = true, bool withPersonalData = false)
    {
        var email = $"paciente-{Guid.NewGuid():N}@teste.local";
        var fullName = name ?? "Paciente " + email[9..15];
        var registered = await SendAsync<Registered>(HttpMethod.Post, "/api/v1/identity/register",
            new
            {
                email, password = "Senha-de-teste-123", fullName, role = "patient", timeZone = "America/Sao_Paulo",
                cpf = withPersonalData ? TestCpf.Next() : null,
                phone = withPersonalData ? "+55 11 9" + Random.Shared.Next(10_000_000, 99_999_999).ToString(CultureInfo.InvariantCulture) : null,
                birthDate = withPersonalData ? "1980-05-17" : null,
            },
            null,
            HttpStatusCode.Created);
        var user = new TestUser(registered.UserId, email, "Senha-de-teste-123", "patient", fullName);
        if (confirm)
        {
            await ConfirmEmailAsync(user);
        }

        await LoginAsync(user);
        return user;
    }

    // A CRM is unique per state. Drawn at random for each doctor, two of a benchmark's 600 doctors collided about one
    // run in fifty (a 409 ended the set-up); numbered from a random start, they never collide within a process.
    private static int s_lastCrm = Random.Shared.Next(1_000, 5_000_000);

    /// <summary>A CRM number no other doctor registered by this process has.</summary>
    public static string NewCrm() => Interlocked.Increment(ref s_lastCrm).ToString(CultureInfo.InvariantCulture);

    /// <summary>Sends a file as the request body (avatars, credential documents) with <paramref name="user"/>'s token.</summary>
    public async Task<HttpResponseMessage> SendFileAsync(HttpMethod method, string path, byte[] body, string contentType, TestUser user)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", user.AccessToken);
        return await Http.SendAsync(request);
    }

    public async Task<TestUser> RegisterDoctorAsync(string? name = null)
    {
        var email = $"medico-{Guid.NewGuid():N}@teste.local";
        var fullName = name ?? "Dr. Teste " + email[7..13];
        var crm = NewCrm();
        var registered = await SendAsync<Registered>(HttpMethod.Post, "/api/v1/identity/register",
            new { email, password = "Senha-de-teste-123", fullName, role = "doctor", crm, crmState = "SP", specialty = "Clínica Médica", timeZone = "America/Sao_Paulo" },
            null, HttpStatusCode.Created);
        var user = new TestUser(registered.UserId, email, "Senha-de-teste-123", "doctor", fullName);
        await ConfirmEmailAsync(user);
        await LoginAsync(user);
        return user;
    }

    /// <summary>Confirms the user's e-mail with the link the product sent to the outbox.</summary>
    public async Task ConfirmEmailAsync(TestUser user)
    {
        if (outbox is null)
        {
            throw new InvalidOperationException("This API client has no outbox to read the confirmation link from.");
        }

        var query = Outbox.FragmentQuery(await outbox.WaitForLinkAsync(user.Email, "confirm-email"));
        await SendAsync<object>(HttpMethod.Post, "/api/v1/identity/confirm-email", new { userId = query["userId"], token = query["token"] }, null);
    }

    public async Task LoginAsync(TestUser user)
    {
        var result = await SendAsync<LoginResult>(HttpMethod.Post, "/api/v1/identity/login", new { email = user.Email, password = user.Password }, null);
        if (result.TwoFactorRequired)
        {
            result = await SendAsync<LoginResult>(HttpMethod.Post, "/api/v1/identity/login/2fa",
                new { challengeToken = result.ChallengeToken, code = await NextTotpAsync(DemoAdminTotpSecret, TotpScope) }, null);
        }

        user.AccessToken = result.AccessToken!;
        user.RefreshToken = result.RefreshToken!;
    }

    /// <summary>A fresh code of the demo admin's second factor (for a login typed in a browser).</summary>
    public Task<string> NextDemoAdminTotpAsync(CancellationToken ct = default) => NextTotpAsync(DemoAdminTotpSecret, TotpScope, ct);

    public async Task<TestUser> LoginDemoAdminAsync()
    {
        var admin = new TestUser(Guid.Empty, "admin@telemedicina.local", DemoPassword, "admin", "Administradora Demo");
        await LoginAsync(admin);
        var me = await SendAsync<System.Text.Json.JsonElement>(HttpMethod.Get, "/api/v1/identity/me", null, admin.AccessToken);
        return admin with { Id = me.GetProperty("id").GetGuid(), AccessToken = admin.AccessToken, RefreshToken = admin.RefreshToken };
    }

    public Task GrantConsentAsync(TestUser user, string type = "telemedicine") =>
        SendAsync<object>(HttpMethod.Post, "/api/v1/privacy/consents", new { type, granted = true }, user.AccessToken);

    public Task VerifyDoctorAsync(TestUser admin, Guid doctorId) =>
        SendAsync<object>(HttpMethod.Post, $"/api/v1/admin/doctors/{doctorId}/verify", null, admin.AccessToken);

    /// <summary>Every day, all day, in 15-minute slots (São Paulo time), so a slot is always near.</summary>
    public Task SetAllDayAvailabilityAsync(TestUser doctor, int slotMinutes = 15) =>
        SendAsync<object>(HttpMethod.Put, "/api/v1/scheduling/doctors/me/availability", new
        {
            timeZone = "America/Sao_Paulo",
            slotMinutes,
            weekly = Enumerable.Range(0, 7).Select(d => new { dayOfWeek = d, start = "00:00", end = "24:00" }).ToArray(),
        }, doctor.AccessToken);

    public Task<Slot[]> SlotsAsync(TestUser user, Guid doctorId, DateTimeOffset from, DateTimeOffset to) =>
        SendAsync<Slot[]>(HttpMethod.Get, $"/api/v1/scheduling/doctors/{doctorId}/slots?from={Query(from)}&to={Query(to)}", null, user.AccessToken);

    public Task<Booked> BookAsync(TestUser patient, Guid doctorId, DateTimeOffset startsAt) =>
        SendAsync<Booked>(HttpMethod.Post, "/api/v1/scheduling/appointments", new { doctorId, startsAt = Iso(startsAt) }, patient.AccessToken, HttpStatusCode.Created);

    /// <summary>The status a booking request is answered with, for the tests of refusals that do not read their body.</summary>
    public async Task<HttpStatusCode> BookingStatusAsync(TestUser patient, Guid doctorId, DateTimeOffset startsAt)
    {
        using var response = await SendAsync(HttpMethod.Post, "/api/v1/scheduling/appointments", new { doctorId, startsAt = Iso(startsAt) }, patient.AccessToken);
        return response.StatusCode;
    }

    public Task<Appointment> GetAppointmentAsync(TestUser user, Guid appointmentId) =>
        SendAsync<Appointment>(HttpMethod.Get, $"/api/v1/scheduling/appointments/{appointmentId}", null, user.AccessToken);

    public Task<CallState> RequestCallAsync(TestUser patient, Guid appointmentId) =>
        SendAsync<CallState>(HttpMethod.Post, "/api/v1/calls", new { appointmentId }, patient.AccessToken, HttpStatusCode.Created);

    public Task<CallState> CallActionAsync(TestUser user, Guid roomId, string action) =>
        SendAsync<CallState>(HttpMethod.Post, $"/api/v1/calls/{roomId}/{action}", null, user.AccessToken);

    public Task<CallState> GetCallAsync(TestUser user, Guid roomId) =>
        SendAsync<CallState>(HttpMethod.Get, $"/api/v1/calls/{roomId}", null, user.AccessToken);

    public static string Iso(DateTimeOffset instant) => instant.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    public static string Query(DateTimeOffset instant) => Uri.EscapeDataString(Iso(instant));

    public void Dispose() => Http.Dispose();
}

/// <summary>Valid, random CPF numbers (check digits computed) for registrations.</summary>
public static class TestCpf
{
    public static string Next()
    {
        var digits = Enumerable.Range(0, 9).Select(_ => Random.Shared.Next(0, 10)).ToList();
        if (digits.Distinct().Count() == 1)
        {
            digits[0] = (digits[0] + 1) % 10;
        }

        digits.Add(CheckDigit(digits));
        digits.Add(CheckDigit(digits));
        return string.Concat(digits);
    }

    private static int CheckDigit(List<int> digits)
    {
        var sum = digits.Select((d, i) => d * (digits.Count + 1 - i)).Sum();
        var rest = sum * 10 % 11;
        return rest == 10 ? 0 : rest;
    }
}
