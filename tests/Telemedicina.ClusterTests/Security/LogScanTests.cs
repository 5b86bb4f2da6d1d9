using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Telemedicina.Testing;

namespace Telemedicina.ClusterTests.Security;

/// <summary>
/// The log scanner (<c>scripts/logscan.sh</c>, the <c>logscan</c> stage of ./test.sh) on planted
/// logs: it must report every kind of secret and personal data with its file and line, never print
/// the value, and stay quiet on the look-alikes a silo log is full of.
/// </summary>
public sealed partial class LogScanTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("telemedicina-logscan-").FullName;

    [Fact]
    public async Task Scanner_ReportsEveryPlantedSecret_WithFileAndLine_AndMasksIt()
    {
        var refreshToken = Mixed(() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_'));
        var turnPassword = Mixed(() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(20)));
        var cpf = TestCpf.Next();
        var other = TestCpf.Next();
        var formattedCpf = $"{other[..3]}.{other[3..6]}.{other[6..9]}-{other[9..]}";
        var planted = new (string Kind, string Value, string Line)[]
        {
            ("password", TelemedicinaApi.DemoPassword, $"{{\"Message\":\"login failed for admin with {TelemedicinaApi.DemoPassword}\"}}"),
            ("password", "Senha-de-teste-123", "info: Telemedicina.Identity[0] password=Senha-de-teste-123"),
            ("password", TelemedicinaApi.DemoAdminTotpSecret, $"{{\"State\":{{\"secret\":\"{TelemedicinaApi.DemoAdminTotpSecret}\"}}}}"),
            ("password", "uma-senha-extra-9", "{\"Message\":\"extra uma-senha-extra-9\"}"),
            ("jwt", "eyJhbGciOiJFUzI1NiIsImtpZCI6ImFiYyJ9.eyJzdWIiOiIxMjMiLCJyb2xlIjoicGF0aWVudCJ9.c2ln",
                "{\"Message\":\"Request GET /hubs/consultation?access_token=eyJhbGciOiJFUzI1NiIsImtpZCI6ImFiYyJ9.eyJzdWIiOiIxMjMiLCJyb2xlIjoicGF0aWVudCJ9.c2ln\"}"),
            ("dp-token", "CfDJ8" + new string('Q', 20) + "x9_-Zk" + new string('a', 40), "{\"Message\":\"challenge CfDJ8" + new string('Q', 20) + "x9_-Zk" + new string('a', 40) + "\"}"),
            ("refresh-token", refreshToken, $"{{\"State\":{{\"Token\":\"{refreshToken}\"}}}}"),
            ("cpf", cpf, $"{{\"Message\":\"paciente {cpf} cadastrado\"}}"),
            ("cpf", formattedCpf, $"{{\"Message\":\"CPF {formattedCpf}\"}}"),
            ("sdp", "v=0", "{\"Message\":\"offer v=0\\r\\no=- 1 1 IN IP4 127.0.0.1\\r\\ns=-\"}"),
            ("sdp", "a=ice-pwd:", "{\"Message\":\"a=ice-pwd:asd88fgpdd777uzjYhagZg\"}"),
            ("ice-candidate", "candidate:842163049 1 udp 1677729535 192.168.1.20 50000 typ srflx",
                "{\"Message\":\"candidate:842163049 1 udp 1677729535 192.168.1.20 50000 typ srflx raddr 0.0.0.0 rport 0\"}"),
            ("peer-address", "10.1.2.3:54321", "{\"Message\":\"peer connected from 10.1.2.3:54321\"}"),
            ("turn-username", "1767225600:" + Guid.NewGuid(), $"{{\"Message\":\"turn user 1767225600:{Guid.NewGuid()}\"}}"),
            ("turn-password", turnPassword, $"{{\"Message\":\"turn password {turnPassword.Replace("+", "\\u002B", StringComparison.Ordinal)}\"}}"),
            ("e-mail", "paciente-123@teste.local", "{\"Message\":\"sent to paciente-123@teste.local\"}"),
            ("phone", "+55 11 912345678", "{\"Message\":\"sms +55 11 912345678\"}"),
        };
        var noise = await File.ReadAllLinesAsync(NoisePath());
        var lines = new List<string>();
        var expected = new List<(string Kind, int Line)>();
        foreach (var (kind, _, line) in planted)
        {
            lines.AddRange(noise.Take(3));
            lines.Add(line);
            expected.Add((kind, lines.Count));
        }

        var file = Path.Combine(_dir, "silo1.log");
        await File.WriteAllLinesAsync(file, lines);
        await File.WriteAllLinesAsync(Path.Combine(_dir, "clean.log"), noise);

        var (exit, output) = await ScanAsync(_dir, extraSecrets: "uma-senha-extra-9");

        Assert.Equal(1, exit);
        var findings = Finding().Matches(output).Select(m => (File: m.Groups["file"].Value, Line: int.Parse(m.Groups["line"].Value, System.Globalization.CultureInfo.InvariantCulture), Kind: m.Groups["kind"].Value)).ToList();
        foreach (var (kind, line) in expected)
        {
            Assert.True(findings.Contains((file, line, kind)), $"{kind} planted at {file}:{line} not reported:\n{output}");
        }

        Assert.True(findings.Count == expected.Count, $"expected {expected.Count} findings, got {findings.Count}:\n{output}");
        foreach (var (kind, value, _) in planted)
        {
            Assert.False(output.Contains(value, StringComparison.Ordinal) && value.Length > 4, $"the {kind} value itself is in the output:\n{output}");
        }
    }

    [Fact]
    public async Task Scanner_OnARealLookingCleanLog_FindsNothing_AndWithoutLogsSaysSo()
    {
        File.Copy(NoisePath(), Path.Combine(_dir, "silo2.log"));
        var (exit, output) = await ScanAsync(_dir);
        Assert.True(exit == 0, output);

        var empty = Directory.CreateTempSubdirectory("telemedicina-logscan-empty-").FullName;
        try
        {
            Assert.Equal(2, (await ScanAsync(empty)).Exit);
            Assert.Equal(0, (await ScanAsync(empty, allowEmpty: true)).Exit);
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }

    [Fact]
    public async Task Scanner_DropsTheClustersOwnAddresses_ButStillFindsAPeersOnTheSameNetwork()
    {
        const string Own = @"10\.232\.[0-9]+\.[12]|10\.231\.[0-9]+\.2";
        var file = Path.Combine(_dir, "silo3.log");
        await File.WriteAllLinesAsync(file,
        [
            "{\"Message\":\"-------------- Started silo S10.232.7.2:25472:155169194, ConsistentHashCode BBC8A229 --------------\"}",
            "{\"Message\":\"Now listening on: http://10.231.7.2:30413\"}",
            "{\"Message\":\"Request [S10.232.7.1:30408:155170533 sys.client/hosted-10.232.7.1:30408@155170533]\"}",
            "{\"Message\":\"connection from 10.231.7.1:51234\"}",
            "{\"Message\":\"connection from 10.232.7.21:51234\"}",
        ]);

        var (exit, output) = await ScanAsync(file, ownAddresses: Own);

        Assert.Equal(1, exit);
        var findings = Finding().Matches(output).Select(m => (Line: m.Groups["line"].Value, Kind: m.Groups["kind"].Value)).ToList();
        Assert.Equal([("4", "peer-address"), ("5", "peer-address")], findings.Distinct());

        // Without the setting every line is a finding.
        var all = Finding().Matches((await ScanAsync(file)).Output).Select(m => m.Groups["line"].Value).Distinct();
        Assert.Equal(["1", "2", "3", "4", "5"], all);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Lines like those of a real silo log, full of look-alikes (addresses, ids, hashes, counters).</summary>
    private static string NoisePath() => Path.Combine(AppContext.BaseDirectory, "Security", "logscan-noise.txt");

    private static string Mixed(Func<string> make)
    {
        while (true)
        {
            var value = make();
            if (value.Any(char.IsAsciiLetterUpper) && value.Any(char.IsAsciiLetterLower) && value.Any(char.IsAsciiDigit))
            {
                return value;
            }
        }
    }

    private static async Task<(int Exit, string Output)> ScanAsync(string path, string? extraSecrets = null, bool allowEmpty = false, string? ownAddresses = null)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(RepoPaths.Root, "scripts", "logscan.sh"));
        if (allowEmpty)
        {
            psi.ArgumentList.Add("--allow-empty");
        }

        psi.ArgumentList.Add(path);
        if (extraSecrets is not null)
        {
            psi.Environment["LOGSCAN_SECRETS"] = extraSecrets;
        }

        if (ownAddresses is not null)
        {
            psi.Environment["LOGSCAN_OWN_ADDRESSES"] = ownAddresses;
        }

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    [GeneratedRegex(@"^(?<file>/[^:]+):(?<line>\d+): (?<kind>[a-z-]+): ", RegexOptions.Multiline)]
    private static partial Regex Finding();
}
