using Mistral.Console.Core.Settings;

namespace Mistral.Console.Core.Environments;

/// <summary>A node as the store writes it: roles without primary-controller (derived), the
/// private key in plain text (encrypted by the store); null key = keep, "" = remove.</summary>
public sealed record NodeWrite(
    string Name,
    string Address,
    int SshPort,
    string SshUser,
    IReadOnlyList<string> Roles,
    string? PrivateKey,
    string? SshPublicKey,
    string? ExecutorHost);

/// <summary>Persistence of environments, nodes and settings. Every method is one transaction.</summary>
public interface IEnvironmentStore
{
    Task<IReadOnlyList<CloudEnvironment>> ListAsync(CancellationToken ct);
    Task<CloudEnvironment?> GetAsync(long id, CancellationToken ct);
    Task<bool> NameTakenAsync(string name, long? exceptId, CancellationToken ct);
    Task<long> CreateAsync(string name, MistralSettings settings, CancellationToken ct);
    Task<bool> RenameAsync(long id, string name, CancellationToken ct);
    Task<bool> DeleteAsync(long id, CancellationToken ct);
    Task<bool> SetSshKeyAsync(long id, string? privateKey, string? publicKey, CancellationToken ct);

    /// <summary>Nodes with the primary-controller role derived (see <see cref="Layout"/>).</summary>
    Task<IReadOnlyList<Node>> ListNodesAsync(long environmentId, CancellationToken ct);
    Task<long> AddNodeAsync(long environmentId, NodeWrite node, CancellationToken ct);
    Task<bool> UpdateNodeAsync(long environmentId, long nodeId, NodeWrite node, CancellationToken ct);
    Task<bool> DeleteNodeAsync(long environmentId, long nodeId, CancellationToken ct);
    Task<bool> SetPrimaryAsync(long environmentId, long nodeId, CancellationToken ct);
    /// <summary>Pins (or with null, forgets) the node's SSH host key.</summary>
    Task<bool> SetHostKeyAsync(long nodeId, string? hostKey, string? fingerprint, CancellationToken ct);
    /// <summary>The node's own private key, else the environment's; null when neither is set.</summary>
    Task<string?> GetPrivateKeyAsync(long nodeId, CancellationToken ct);

    Task<MistralSettings> GetSettingsAsync(long environmentId, CancellationToken ct);
    Task SaveSettingsAsync(long environmentId, MistralSettings settings, CancellationToken ct);
}
