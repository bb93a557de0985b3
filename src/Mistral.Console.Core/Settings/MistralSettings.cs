using Mistral.Console.Core.Environments;

namespace Mistral.Console.Core.Settings;

/// <summary>Where the Keystone admin credentials for registering Mistral come from.</summary>
public enum AdminCredentialSource
{
    /// <summary>Sourced from an openrc file on the primary controller (Fuel's /root/openrc).</summary>
    Openrc,
    /// <summary>Given explicitly in the settings (auth URL, user, password, project).</summary>
    Explicit,
}

/// <summary>How Mistral authenticates API calls.</summary>
public enum AuthMode
{
    /// <summary>Keystone v3 tokens ([pecan] auth_enable = True, keystone_authtoken).</summary>
    Keystone,
    /// <summary>No authentication ([pecan] auth_enable = False), Mistral without OpenStack.</summary>
    None,
}

/// <summary>
/// The Mistral plugin settings of one environment: the plugin's environment_config plus the cloud
/// facts the tasks need. Secrets are plain text here; storage encrypts them and pages mask them.
/// Nullable facts mean "derive a default from the nodes" (see <see cref="Resolve"/>).
/// </summary>
public sealed record MistralSettings
{
    public bool Enabled { get; init; }
    public string? DbPassword { get; init; }
    public string? KeystonePassword { get; init; }
    public string? RabbitPassword { get; init; }

    public string? ManagementVip { get; init; }
    public string? PublicVip { get; init; }
    public string KeystoneRegion { get; init; } = "RegionOne";
    public string ServiceProject { get; init; } = "service";

    public AdminCredentialSource AdminSource { get; init; } = AdminCredentialSource.Openrc;
    public string OpenrcPath { get; init; } = "/root/openrc";
    public string? AdminAuthUrl { get; init; }
    public string? AdminUser { get; init; }
    public string? AdminPassword { get; init; }
    public string? AdminProject { get; init; }

    /// <summary>Keystone v3 URL the Mistral services authenticate against; null = the explicit admin
    /// auth URL, else http://&lt;management VIP&gt;:5000/v3.</summary>
    public string? KeystoneUrl { get; init; }

    public string? DatabaseHost { get; init; }
    /// <summary>RabbitMQ hosts; empty means the controllers' addresses.</summary>
    public IReadOnlyList<string> RabbitHosts { get; init; } = [];
    public int ApiPort { get; init; } = 8989;
    public bool Debug { get; init; }
    public AuthMode AuthMode { get; init; } = AuthMode.Keystone;

    public static MistralSettings Defaults { get; } = new();

    /// <summary>Every secret value currently set, for masking output.</summary>
    public IEnumerable<string> Secrets() =>
        new[] { DbPassword, KeystonePassword, RabbitPassword, AdminPassword }.Where(s => !string.IsNullOrEmpty(s))!;

    /// <summary>The effective values after defaults from the nodes are applied.</summary>
    public ResolvedSettings Resolve(IReadOnlyCollection<Node> nodes)
    {
        var primary = nodes.FirstOrDefault(n => n.IsPrimary) ?? nodes.FirstOrDefault(n => n.IsController);
        var mgmtVip = ManagementVip ?? primary?.Address;
        return new ResolvedSettings(
            ManagementVip: mgmtVip,
            PublicVip: PublicVip ?? primary?.Address,
            DatabaseHost: DatabaseHost ?? mgmtVip,
            KeystoneUrl: KeystoneUrl ?? (AdminSource == AdminCredentialSource.Explicit ? AdminAuthUrl : null)
                ?? (mgmtVip is null ? null : $"http://{(mgmtVip.Contains(':') ? $"[{mgmtVip}]" : mgmtVip)}:5000/v3"),
            RabbitHosts: RabbitHosts.Count > 0 ? RabbitHosts : nodes.Where(n => n.IsController).OrderBy(n => n.Id).Select(n => n.Address).ToArray());
    }
}

public sealed record ResolvedSettings(string? ManagementVip, string? PublicVip, string? DatabaseHost, string? KeystoneUrl, IReadOnlyList<string> RabbitHosts);

/// <summary>The names of the generated secrets, as fields and in the API.</summary>
public static class SecretNames
{
    public const string DbPassword = "dbPassword";
    public const string KeystonePassword = "keystonePassword";
    public const string RabbitPassword = "rabbitPassword";
    public static readonly IReadOnlyList<string> Generated = [DbPassword, KeystonePassword, RabbitPassword];
}
