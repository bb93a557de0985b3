namespace Mistral.Console.Core.Environments;

/// <summary>An OpenStack environment (a cloud) into which Mistral is deployed.
/// <see cref="HasSshKey"/> tells whether an environment-wide SSH key is stored; the key itself
/// never leaves the store except to the SSH runner.</summary>
public sealed record CloudEnvironment(
    long Id,
    string Name,
    DateTimeOffset CreatedAt,
    bool HasSshKey,
    string? SshPublicKey);
