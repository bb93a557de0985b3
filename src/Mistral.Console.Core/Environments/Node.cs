using Mistral.Console.Core.Roles;

namespace Mistral.Console.Core.Environments;

/// <summary>A machine of an environment, reached over SSH. The private key (its own, or the
/// environment's) is not part of this read model.</summary>
public sealed record Node(
    long Id,
    long EnvironmentId,
    string Name,
    string Address,
    int SshPort,
    string SshUser,
    IReadOnlyList<string> Roles,
    bool HasOwnSshKey,
    string? SshPublicKey,
    string? ExecutorHost,
    string? HostKey,
    string? HostKeyFingerprint,
    DateTimeOffset CreatedAt)
{
    public bool Has(string role) => Roles.Contains(role);
    public bool IsController => Has(Role.Controller);
    public bool IsPrimary => Has(Role.PrimaryController);
    public bool IsMistral => Has(Role.Mistral);
}

/// <summary>What a user submits to add or edit a node. A null <see cref="PrivateKey"/> on edit
/// keeps the stored key; an empty string removes it (falls back to the environment's key).</summary>
public sealed record NodeInput(
    string? Name,
    string? Address,
    int? SshPort,
    string? SshUser,
    IReadOnlyList<string>? Roles,
    string? PrivateKey,
    string? ExecutorHost);
