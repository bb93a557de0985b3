using Mistral.Console.Web.Components.Shared;

namespace Mistral.Console.Web.Environments;

/// <summary>The tabs of an environment page. A new tab (deployments, health) is one line here.</summary>
public static class EnvironmentTabs
{
    public const string Nodes = "nodes";
    public const string Settings = "settings";
    public const string Deployments = "deployments";
    public const string Health = "health";

    public static IReadOnlyList<TabItem> For(long environmentId) =>
    [
        new(Nodes, "Nodes", $"/environments/{environmentId}", "bi-hdd-stack"),
        new(Settings, "Settings", $"/environments/{environmentId}/settings", "bi-sliders"),
        new(Deployments, "Deployments", $"/environments/{environmentId}/deployments", "bi-rocket-takeoff"),
        new(Health, "Health", $"/environments/{environmentId}/health", "bi-heart-pulse"),
    ];
}

public static class SecretLabels
{
    public static string For(string name) => name switch
    {
        Core.Settings.SecretNames.DbPassword => "Database password",
        Core.Settings.SecretNames.KeystonePassword => "Keystone password",
        Core.Settings.SecretNames.RabbitPassword => "RabbitMQ password",
        _ => name,
    };

    public static string Hint(string name) => name switch
    {
        Core.Settings.SecretNames.DbPassword => "MariaDB user mistral",
        Core.Settings.SecretNames.KeystonePassword => "Keystone user mistral in the service project",
        Core.Settings.SecretNames.RabbitPassword => "RabbitMQ user mistral",
        _ => "",
    };

    public static string? Value(Core.Settings.MistralSettings s, string name) => name switch
    {
        Core.Settings.SecretNames.DbPassword => s.DbPassword,
        Core.Settings.SecretNames.KeystonePassword => s.KeystonePassword,
        Core.Settings.SecretNames.RabbitPassword => s.RabbitPassword,
        _ => null,
    };
}
