namespace Mistral.Console.Web.Auth;

/// <summary>The closed set of dashboard roles (the CHECK constraint of users.role says the same).</summary>
public static class UserRoles
{
    /// <summary>Everything: environments, nodes, settings, secrets, users.</summary>
    public const string Admin = "admin";
    /// <summary>Reads everything except secrets; changes nothing but its own password.</summary>
    public const string Support = "support";

    public static readonly IReadOnlyList<string> All = [Admin, Support];
}

/// <summary>Authorization policy names.</summary>
public static class Policies
{
    /// <summary>On every endpoint that changes something (or reveals a secret).</summary>
    public const string Admin = "Admin";

    /// <summary>Safety net on whole groups (pages, /api): reads for any signed-in user, anything
    /// else for admins only, unless the endpoint is marked <see cref="SelfServiceAttribute"/>.</summary>
    public const string AdminForWrites = "AdminForWrites";
}

/// <summary>
/// Marks an endpoint that changes only the caller's own account (sign out, own password, own token),
/// so every signed-in user may call it with a non-GET method. The route tests list these explicitly.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class SelfServiceAttribute : Attribute;
