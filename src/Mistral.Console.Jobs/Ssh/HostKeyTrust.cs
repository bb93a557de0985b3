using Mistral.Console.Core.Environments;
using Mistral.Console.Core.Execution;

namespace Mistral.Console.Jobs.Ssh;

/// <summary>
/// The admin's side of host-key pinning. Deployments pin a node's key on first contact; here an
/// admin pins it ahead of time (and sees the fingerprint to compare), or forgets it after a node
/// was legitimately reinstalled — until then a changed key is refused.
/// </summary>
public sealed class HostKeyTrust(IEnvironmentStore store, IHostKeyScanner scanner)
{
    public sealed record Result(bool Found, HostKey? Key, string? Error);

    public async Task<Result> PinAsync(long environmentId, long nodeId, CancellationToken ct)
    {
        var node = (await store.ListNodesAsync(environmentId, ct)).FirstOrDefault(n => n.Id == nodeId);
        if (node is null) return new Result(false, null, null);
        var offered = await scanner.ScanAsync(node.Address, node.SshPort, ct);
        var key = offered.FirstOrDefault(k => k.Algorithm == "ssh-ed25519") ?? offered.FirstOrDefault();
        if (key is null) return new Result(true, null, $"Node '{node.Name}' ({node.Address}:{node.SshPort}) did not answer with a host key.");
        await store.SetHostKeyAsync(nodeId, key.Line, key.Fingerprint, ct);
        return new Result(true, key, null);
    }

    public async Task<bool> ForgetAsync(long environmentId, long nodeId, CancellationToken ct)
    {
        if ((await store.ListNodesAsync(environmentId, ct)).All(n => n.Id != nodeId)) return false;
        return await store.SetHostKeyAsync(nodeId, null, null, ct);
    }
}
