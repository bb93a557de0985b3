namespace Mistral.Console.Core.Roles;

/// <summary>The closed set of roles a node can play. Wire names are the strings users and the
/// task catalog see.</summary>
public static class Role
{
    /// <summary>Runs the OpenStack control plane; gets mistral-api, HAProxy frontend, client, Horizon panel.</summary>
    public const string Controller = "controller";
    /// <summary>The one controller where one-off tasks run (database, Keystone registration, db sync).</summary>
    public const string PrimaryController = "primary-controller";
    /// <summary>Runs mistral-engine and mistral-executor; standalone or on a controller.</summary>
    public const string Mistral = "mistral";

    public static readonly IReadOnlyList<string> All = [Controller, PrimaryController, Mistral];

    public static bool IsKnown(string role) => All.Contains(role);

    public static string Label(string role) => role switch
    {
        Controller => "Controller",
        PrimaryController => "Primary controller",
        Mistral => "Mistral",
        _ => role,
    };

    /// <summary>Normalizes a user-supplied role list: known roles only, each once, in canonical order.</summary>
    public static IReadOnlyList<string> Normalize(IEnumerable<string> roles) =>
        All.Where(r => roles.Contains(r)).ToArray();
}
