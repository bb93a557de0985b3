using Mistral.Console.Core.Environments;
using Mistral.Console.Core.Execution;
using Mistral.Console.Core.Settings;
using Mistral.Console.Jobs.Logs;

namespace Mistral.Console.Jobs.Engine;

/// <summary>
/// What running scripts on an environment needs, read once: the environment, its nodes, the
/// plugin settings, every node's private key, and a masker that knows all of those secrets.
/// Deployments and acceptance checks both start from it.
/// </summary>
public sealed record EnvironmentSnapshot(
    CloudEnvironment Environment,
    IReadOnlyList<Node> Nodes,
    MistralSettings Settings,
    IReadOnlyDictionary<long, string?> Keys,
    SecretMasker Masker)
{
    public static async Task<EnvironmentSnapshot?> LoadAsync(IEnvironmentStore store, long environmentId, CancellationToken ct)
    {
        var env = await store.GetAsync(environmentId, ct);
        if (env is null) return null;
        var nodes = await store.ListNodesAsync(environmentId, ct);
        var settings = await store.GetSettingsAsync(environmentId, ct);
        var keys = new Dictionary<long, string?>();
        foreach (var n in nodes) keys[n.Id] = await store.GetPrivateKeyAsync(n.Id, ct);
        return new EnvironmentSnapshot(env, nodes, settings, keys, new SecretMasker(settings.Secrets().Concat(keys.Values)));
    }

    /// <summary>How to reach a node, with the host key it must present; null without a key.</summary>
    public SshTarget? Target(Node node, string hostKey) =>
        Keys.GetValueOrDefault(node.Id) is { } key ? new SshTarget(node.Id.ToString(), node.Address, node.SshPort, node.SshUser, key, hostKey) : null;
}
