using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Telemedicina.DeployTests.CloudFormation;

namespace Telemedicina.DeployTests;

/// <summary><c>bash -n</c> over every script the deployment runs: hook scripts and user data.</summary>
public sealed partial class ShellSyntaxTests
{
    public static TheoryData<string> Scripts =>
        [.. Directory.GetFiles(Path.Combine(Repo.Root, "deploy", "codedeploy"), "*.sh", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(Repo.Root, f)).Order(StringComparer.Ordinal)];

    public static TheoryData<string, int> UserDataScripts
    {
        get
        {
            var data = new TheoryData<string, int>();
            foreach (var file in Repo.TemplateFiles)
            {
                for (var i = 0; i < EmbeddedScripts(Repo.Template(file)).Count; i++)
                {
                    data.Add(file, i);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Scripts))]
    public async Task HookScript_WhenCheckedByBash_HasValidSyntax(string path)
    {
        var (exitCode, errors) = await BashSyntaxAsync(Repo.Read(path));

        Assert.True(exitCode == 0 && errors.Length == 0, $"{path}: {errors}");
    }

    [Theory]
    [MemberData(nameof(UserDataScripts))]
    public async Task UserData_WhenSubstitutedAndCheckedByBash_HasValidSyntax(string file, int index)
    {
        // What Fn::Sub would produce, with placeholders for CloudFormation's values.
        var script = SubVariable().Replace(EmbeddedScripts(Repo.Template(file))[index], m =>
            m.Groups["name"].Value.StartsWith('!') ? "${" + m.Groups["name"].Value[1..] + "}" : "CFN_VALUE");

        var (exitCode, errors) = await BashSyntaxAsync(script);

        Assert.True(exitCode == 0 && errors.Length == 0, $"{file} script {index}: {errors}");
    }

    [Fact]
    public async Task BashSyntax_WhenIfIsUnclosed_FailsWithAnError()
    {
        var (exitCode, errors) = await BashSyntaxAsync("#!/bin/bash\nif true; then\n  echo x\n");

        Assert.NotEqual(0, exitCode);
        Assert.NotEmpty(errors);
    }

    [Fact]
    public async Task BashSyntax_WhenHeredocIsUnterminated_OnlyWarnsSoTheTestsTreatAnyOutputAsFailure()
    {
        // bash -n exits 0 here and only warns "here-document ... delimited by end-of-file".
        var (_, errors) = await BashSyntaxAsync("#!/bin/bash\ncat <<EOF\nx\n");

        Assert.Contains("here-document", errors, StringComparison.Ordinal);
    }

    [Fact]
    public void UserDataScripts_WhenCollected_IncludeTheSiloAndTurnBootScripts()
    {
        var files = Repo.TemplateFiles.Where(f => EmbeddedScripts(Repo.Template(f)).Count > 0);

        Assert.Equal(["app.yaml", "turn.yaml"], files);
    }

    private static List<string> EmbeddedScripts(Template template) =>
        Template.Walk(template.Root)
            .Where(n => n.Node is JsonObject { Count: 1 } o && o.ContainsKey("Fn::Sub"))
            .Select(n => n.Node["Fn::Sub"] is JsonArray a ? a[0]!.ToString() : n.Node["Fn::Sub"]!.ToString())
            .Where(s => s.StartsWith("#!/bin/bash", StringComparison.Ordinal))
            .ToList();

    private static async Task<(int ExitCode, string Errors)> BashSyntaxAsync(string script)
    {
        using var bash = Process.Start(new ProcessStartInfo("bash", "-n")
        {
            RedirectStandardInput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("bash did not start");
        await bash.StandardInput.WriteAsync(script);
        bash.StandardInput.Close();
        var errors = await bash.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await bash.WaitForExitAsync(timeout.Token);
        return (bash.ExitCode, errors);
    }

    [GeneratedRegex(@"\$\{(?<name>[^}]+)\}")]
    private static partial Regex SubVariable();
}
