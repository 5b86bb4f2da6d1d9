using System.Reflection;

namespace Telemedicina.BuildingBlocks.Database;

/// <summary>
/// The SQL migrations one module owns: embedded <c>Database/Migrations/*.sql</c> resources of
/// <paramref name="Assembly"/>, applied in name order to <paramref name="Schema"/> and journaled
/// in <c>&lt;schema&gt;.schema_versions</c>.
/// </summary>
public sealed record ModuleMigrations(string Module, string Schema, Assembly Assembly)
{
    public const string ResourceMarker = ".Database.Migrations.";
}
