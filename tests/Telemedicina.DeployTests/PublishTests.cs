using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Telemedicina.DeployTests;

/// <summary>
/// Every deployment publishes the host for a platform, which makes it precompiled (ReadyToRun): a silo that has just
/// started answers its first requests without compiling every method first (issue 8, S3 in docs/benchmarks.md).
/// </summary>
public sealed partial class PublishTests
{
    public static TheoryData<string> PublishingFiles =>
        [".github/workflows/deploy.yml", "buildspec.yml", "deploy/docker/Dockerfile", "deploy/systemd/telemedicina.service"];

    [Theory]
    [MemberData(nameof(PublishingFiles))]
    public void EveryPublishOfTheHost_NamesAPlatformAndStaysFrameworkDependent(string path)
    {
        // Shell continuations joined, so a command split over lines is one command.
        var text = File.ReadAllText(Path.Combine(Repo.Root, path)).Replace("\\\n", " ", StringComparison.Ordinal);
        var commands = PublishCommand().Matches(text).Select(m => m.Value).ToList();

        Assert.NotEmpty(commands);
        Assert.All(commands, command =>
        {
            Assert.Matches(RuntimeOption(), command);
            // The silos and the runtime image bring ASP.NET Core; a self-contained publish would ship a second copy.
            Assert.Contains("--self-contained false", command, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task HostProject_PublishedForAPlatform_IsReadyToRun_AndAPlainBuildIsNot()
    {
        Assert.Equal("true", await EvaluateAsync("PublishReadyToRun", "-p:RuntimeIdentifier=linux-x64"));
        Assert.Equal("false", await EvaluateAsync("SelfContained", "-p:RuntimeIdentifier=linux-x64"));
        // Tests and `dotnet run` use the plain build: no precompilation to wait for.
        Assert.Equal("", await EvaluateAsync("PublishReadyToRun"));
    }

    /// <summary>The value MSBuild evaluates for a property of the host project (no build, no restore).</summary>
    private static async Task<string> EvaluateAsync(string property, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Repo.Root };
        foreach (var argument in (string[])["msbuild", Path.Combine("src", "Host", "Telemedicina.Host", "Telemedicina.Host.csproj"),
            $"-getProperty:{property}", "-p:Configuration=Release", .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"dotnet msbuild failed: {await output}{await error}");
        // One property: MSBuild prints its bare value (several would be JSON).
        var value = (await output).Trim();
        return value.StartsWith('{') ? JsonDocument.Parse(value).RootElement.GetProperty("Properties").GetProperty(property).GetString()! : value;
    }

    [GeneratedRegex(@"dotnet publish [^\n]*")]
    private static partial Regex PublishCommand();

    [GeneratedRegex(@"(^|\s)(-r|--runtime) \S+")]
    private static partial Regex RuntimeOption();
}
