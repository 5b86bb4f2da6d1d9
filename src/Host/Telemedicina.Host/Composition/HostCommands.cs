using Telemedicina.Audit;
using Telemedicina.Audit.Contracts;
using Telemedicina.Identity;
using Telemedicina.Scheduling;

namespace Telemedicina.Host.Composition;

/// <summary>The executable's one-shot commands.</summary>
internal static class HostCommands
{
    private static readonly string[] Known = ["migrate", "seed-demo"];

    /// <summary>Splits the command word (if any) from the configuration arguments.</summary>
    public static string? Parse(string[] args, out string[] hostArgs)
    {
        if (args.Length > 1 && args[0] == "audit" && args[1] == "verify")
        {
            hostArgs = args[2..];
            return "audit-verify";
        }

        if (args.Length > 0 && Known.Contains(args[0], StringComparer.Ordinal))
        {
            hostArgs = args[1..];
            return args[0];
        }

        hostArgs = args;
        return null;
    }

    public static async Task<int> RunAsync(string command, WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Telemedicina.Commands");
        var connectionString = HostComposition.ConnectionString(app.Configuration);
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var ct = cancellation.Token;
        await MigrationParticipant.MigrateOnceAsync(app.Services, connectionString, logger, ct);
        if (command == "audit-verify")
        {
            return await AuditModule.VerifyCommandAsync(app.Services, Console.Out, ct);
        }

        if (command == "seed-demo")
        {
            var accounts = await IdentityModule.SeedDemoAsync(app.Services);
            await SchedulingModule.SeedDemoAsync(app.Services, accounts.DoctorId, ct);
            var consents = app.Services.GetRequiredService<IConsentRegistry>();
            foreach (var type in new[] { ConsentTypes.Telemedicine, ConsentTypes.DataProcessing })
            {
                if (!await consents.HasConsentAsync(accounts.PatientId, type, ct))
                {
                    await consents.RecordAsync(accounts.PatientId, type, granted: true, "127.0.0.1", "seed-demo", ct);
                }
            }

            logger.LogInformation("Demo data ready: admin {Admin}, doctor {Doctor}, patient {Patient}", accounts.AdminId, accounts.DoctorId, accounts.PatientId);
        }

        return 0;
    }
}
