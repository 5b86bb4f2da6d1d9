namespace Telemedicina.BuildingBlocks;

/// <summary>Which process (silo) this is, for audit "where" and diagnostics.</summary>
public sealed record NodeInfo(string Name);
