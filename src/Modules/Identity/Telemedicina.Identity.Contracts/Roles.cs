namespace Telemedicina.Identity.Contracts;

/// <summary>The three roles of the product; one per account.</summary>
public static class Roles
{
    public const string Patient = "patient";
    public const string Doctor = "doctor";
    public const string Admin = "admin";

    public static bool IsKnown(string? role) => role is Patient or Doctor or Admin;
}

/// <summary>Authorization policy names every module and the hub use.</summary>
public static class Policies
{
    public const string Patient = "patient";
    public const string Doctor = "doctor";
    public const string Admin = "admin";

    /// <summary>Any signed-in account (patient, doctor or admin).</summary>
    public const string Authenticated = "authenticated";
}
