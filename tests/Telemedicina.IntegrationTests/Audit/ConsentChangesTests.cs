using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Telemedicina.Audit;
using Telemedicina.Audit.Contracts;
using Telemedicina.BuildingBlocks.Database;

namespace Telemedicina.IntegrationTests.Audit;

/// <summary>
/// Every consent record is told to the modules that act on it (Calls ends a call when the telemedicine consent is taken
/// back). The record is the person's decision: a module that fails to act on it neither loses it nor keeps the others
/// from hearing of it.
/// </summary>
public sealed class ConsentChangesTests() : ModulesTest("consent_changes")
{
    [Fact]
    public async Task ARecord_IsToldToEveryHandler_AndStandsWhenOneOfThemFails()
    {
        var ct = TestContext.Current.CancellationToken;
        var heard = new Recording();
        using var silo = Build(TimeProvider.System, services: s =>
        {
            s.AddSingleton<IConsentChangeHandler, Failing>();
            s.AddSingleton<IConsentChangeHandler>(heard);
        });
        await DatabaseMigrator.MigrateAsync(ConnectionString, [AuditModule.Migrations], NullLogger.Instance, ct);
        var consents = silo.GetRequiredService<IConsentRegistry>();
        var userId = Guid.NewGuid();

        await consents.RecordAsync(userId, ConsentTypes.Telemedicine, granted: true, "127.0.0.1", "test", ct);
        await consents.RecordAsync(userId, ConsentTypes.Telemedicine, granted: false, "127.0.0.1", "test", ct);

        Assert.False(await consents.HasConsentAsync(userId, ConsentTypes.Telemedicine, ct));
        Assert.Equal([(userId, ConsentTypes.Telemedicine, true), (userId, ConsentTypes.Telemedicine, false)], heard.Changes);
    }

    private sealed class Failing : IConsentChangeHandler
    {
        public Task OnConsentChangedAsync(Guid userId, string consentType, bool granted, CancellationToken cancellationToken) =>
            throw new TimeoutException("the calls of this user could not be reached");
    }

    private sealed class Recording : IConsentChangeHandler
    {
        public List<(Guid, string, bool)> Changes { get; } = [];

        public Task OnConsentChangedAsync(Guid userId, string consentType, bool granted, CancellationToken cancellationToken)
        {
            Changes.Add((userId, consentType, granted));
            return Task.CompletedTask;
        }
    }
}
