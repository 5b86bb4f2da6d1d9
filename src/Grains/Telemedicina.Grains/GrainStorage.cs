namespace Telemedicina.Grains;

/// <summary>Names of the grain storage providers the host must register.</summary>
public static class GrainStorage
{
    /// <summary>Call state (ADO.NET on PostgreSQL).</summary>
    public const string Calls = "calls";
}
