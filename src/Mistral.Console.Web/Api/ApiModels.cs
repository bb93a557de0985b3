using Mistral.Console.Core.Environments;
using Mistral.Console.Core.Settings;
using Mistral.Console.Core.Validation;

namespace Mistral.Console.Web.Api;

// The JSON shapes of /api. Bodies have nullable members throughout: a missing member is a
// validation message from Core, never a binding 500. Secrets leave only as Mask unless revealed.

public sealed record EnvironmentDto(long Id, string Name, DateTimeOffset CreatedAt, bool HasSshKey, string? SshPublicKey);

public sealed record EnvironmentBody(string? Name);

/// <summary><see cref="KeySource"/> is "own", "environment" or "none"; the key itself is never sent.</summary>
public sealed record NodeDto(
    long Id, string Name, string Address, int SshPort, string SshUser, IReadOnlyList<string> Roles, bool IsPrimary,
    string KeySource, string? SshPublicKey, string? ExecutorHost, string? HostKeyFingerprint, DateTimeOffset CreatedAt)
{
    public static NodeDto From(Node n, CloudEnvironment env) => new(
        n.Id, n.Name, n.Address, n.SshPort, n.SshUser, n.Roles, n.IsPrimary, KeySourceOf(n, env),
        n.HasOwnSshKey ? n.SshPublicKey : env.SshPublicKey, n.ExecutorHost, n.HostKeyFingerprint, n.CreatedAt);

    public static string KeySourceOf(Node n, CloudEnvironment env) => n.HasOwnSshKey ? "own" : env.HasSshKey ? "environment" : "none";
}

/// <summary>POST creates (missing port/user default to 22/root); PUT edits, where null keeps the
/// current value. privateKey: null keeps the node's key, "" removes it (the environment key applies).</summary>
public sealed record NodeBody(
    string? Name, string? Address, int? SshPort, string? SshUser, IReadOnlyList<string>? Roles, string? PrivateKey, string? ExecutorHost)
{
    public NodeInput ToInput() => new(Name, Address, SshPort, SshUser, Roles, PrivateKey, ExecutorHost);
}

/// <summary>null or "" removes the environment-wide key.</summary>
public sealed record SshKeyBody(string? PrivateKey);

public sealed record SettingsDto(
    bool Enabled,
    string? DbPassword, string? KeystonePassword, string? RabbitPassword,
    string? ManagementVip, string? PublicVip, string? KeystoneUrl, string KeystoneRegion, string ServiceProject,
    AdminCredentialSource AdminSource, string OpenrcPath, string? AdminAuthUrl, string? AdminUser,
    string? AdminPassword, string? AdminProject,
    string? DatabaseHost, IReadOnlyList<string> RabbitHosts, int ApiPort, bool Debug, AuthMode AuthMode,
    ResolvedSettings Resolved, bool Revealed)
{
    /// <summary>What a set secret looks like unless revealed.</summary>
    public const string Mask = "******";

    public static SettingsDto From(MistralSettings s, IReadOnlyCollection<Node> nodes, bool reveal)
    {
        string? Show(string? secret) => string.IsNullOrEmpty(secret) ? null : reveal ? secret : Mask;
        return new SettingsDto(
            s.Enabled, Show(s.DbPassword), Show(s.KeystonePassword), Show(s.RabbitPassword),
            s.ManagementVip, s.PublicVip, s.KeystoneUrl, s.KeystoneRegion, s.ServiceProject,
            s.AdminSource, s.OpenrcPath, s.AdminAuthUrl, s.AdminUser,
            // The Keystone admin password is write-only, even for a revealing admin.
            string.IsNullOrEmpty(s.AdminPassword) ? null : Mask, s.AdminProject,
            s.DatabaseHost, s.RabbitHosts, s.ApiPort, s.Debug, s.AuthMode,
            s.Resolve(nodes), reveal);
    }
}

/// <summary>
/// PUT /settings. Every member is optional: null keeps the stored value, so a client can send only
/// what it changes. "" clears an optional fact back to its derived default. Secrets given as null or
/// as the mask keep their value (a GET-modify-PUT round trip must not store "******").
/// </summary>
public sealed record SettingsBody(
    bool? Enabled,
    string? DbPassword, string? KeystonePassword, string? RabbitPassword,
    string? ManagementVip, string? PublicVip, string? KeystoneUrl, string? KeystoneRegion, string? ServiceProject,
    AdminCredentialSource? AdminSource, string? OpenrcPath, string? AdminAuthUrl, string? AdminUser,
    string? AdminPassword, string? AdminProject,
    string? DatabaseHost, IReadOnlyList<string>? RabbitHosts, int? ApiPort, bool? Debug, AuthMode? AuthMode)
{
    public MistralSettings ApplyTo(MistralSettings c) => new()
    {
        Enabled = Enabled ?? c.Enabled,
        DbPassword = Secret(DbPassword),
        KeystonePassword = Secret(KeystonePassword),
        RabbitPassword = Secret(RabbitPassword),
        AdminPassword = Secret(AdminPassword),
        ManagementVip = Optional(ManagementVip, c.ManagementVip),
        PublicVip = Optional(PublicVip, c.PublicVip),
        DatabaseHost = Optional(DatabaseHost, c.DatabaseHost),
        KeystoneUrl = Optional(KeystoneUrl, c.KeystoneUrl),
        KeystoneRegion = KeystoneRegion ?? c.KeystoneRegion,
        ServiceProject = ServiceProject ?? c.ServiceProject,
        AdminSource = AdminSource ?? c.AdminSource,
        OpenrcPath = OpenrcPath ?? c.OpenrcPath,
        AdminAuthUrl = Optional(AdminAuthUrl, c.AdminAuthUrl),
        AdminUser = Optional(AdminUser, c.AdminUser),
        AdminProject = Optional(AdminProject, c.AdminProject),
        RabbitHosts = RabbitHosts ?? c.RabbitHosts,
        ApiPort = ApiPort ?? c.ApiPort,
        Debug = Debug ?? c.Debug,
        AuthMode = AuthMode ?? c.AuthMode,
    };

    // null tells EnvironmentCommands.UpdateSettingsAsync to keep the stored secret.
    private static string? Secret(string? v) => v is null or SettingsDto.Mask ? null : v;
    private static string? Optional(string? v, string? current) => v is null ? current : v.Length == 0 ? null : v;
}

public sealed record IssueDto(string Field, string Message);

public sealed record ValidationDto(bool Valid, IReadOnlyList<IssueDto> Errors, IReadOnlyList<IssueDto> Warnings)
{
    public static ValidationDto From(ValidationReport r) => new(
        r.IsValid,
        r.Errors.Select(i => new IssueDto(i.Field, i.Message)).ToList(),
        r.Warnings.Select(i => new IssueDto(i.Field, i.Message)).ToList());
}

public sealed record UserDto(long Id, string Username, string Role, bool Locked, DateTimeOffset CreatedAt);

public sealed record NewUserBody(string? Username, string? Role, string? Password);

/// <summary>currentPassword is required when changing one's own password.</summary>
public sealed record PasswordBody(string? CurrentPassword, string? NewPassword);

public sealed record TokenRequest(string? Username, string? Password);

public sealed record TokenResponse(string Token, DateTimeOffset ExpiresAt);

public sealed record AuditEventDto(long Id, DateTimeOffset At, string Username, string Action, string Target);
