using Mistral.Console.Core.Roles;
using Mistral.Console.Core.Secrets;
using Mistral.Console.Core.Settings;
using Mistral.Console.Core.Validation;

namespace Mistral.Console.Core.Environments;

/// <summary>
/// Every change to environments, nodes and settings goes through here: input is validated in full
/// before anything is written, so bad input loses nothing and stores nothing half-way.
/// Methods throw <see cref="ValidationFailedException"/> for bad input and return false/null for "not found".
/// </summary>
public sealed class EnvironmentCommands(IEnvironmentStore store, IKeyInspector keys, SecretGenerator secrets)
{
    public async Task<long> CreateAsync(string? name, CancellationToken ct)
    {
        var r = new ValidationReport();
        if (Inputs.EnvironmentName(name) is { } m) r.Error("name", m);
        else if (await store.NameTakenAsync(name!, null, ct)) r.Error("name", $"An environment named '{name}' already exists.");
        if (!r.IsValid) throw new ValidationFailedException(r);
        return await store.CreateAsync(name!, MistralSettings.Defaults, ct);
    }

    public async Task<bool> RenameAsync(long id, string? name, CancellationToken ct)
    {
        var r = new ValidationReport();
        if (Inputs.EnvironmentName(name) is { } m) r.Error("name", m);
        else if (await store.NameTakenAsync(name!, id, ct)) r.Error("name", $"An environment named '{name}' already exists.");
        if (!r.IsValid) throw new ValidationFailedException(r);
        return await store.RenameAsync(id, name!, ct);
    }

    /// <summary>Deleting asks the user to type the environment's name, as Fuel's Reset did.</summary>
    public async Task<bool> DeleteAsync(long id, string? confirmName, CancellationToken ct)
    {
        var env = await store.GetAsync(id, ct);
        if (env is null) return false;
        if (!string.Equals(env.Name, confirmName, StringComparison.Ordinal))
            throw new ValidationFailedException(new ValidationReport().Error("confirmName", $"Type the environment's name ('{env.Name}') to delete it."));
        return await store.DeleteAsync(id, ct);
    }

    /// <summary>Stores (or with an empty key, removes) the environment-wide SSH key.</summary>
    public async Task<bool> SetSshKeyAsync(long id, string? privateKey, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(privateKey)) return await store.SetSshKeyAsync(id, null, null, ct);
        var (pub, error) = await InspectKeyAsync(privateKey, "privateKey", ct);
        if (error is not null) throw new ValidationFailedException(error);
        return await store.SetSshKeyAsync(id, privateKey, pub, ct);
    }

    public async Task<long?> AddNodeAsync(long environmentId, NodeInput input, CancellationToken ct)
    {
        if (await store.GetAsync(environmentId, ct) is null) return null;
        var nodes = await store.ListNodesAsync(environmentId, ct);
        input = Defaults(input);
        var write = await PrepareAsync(input, nodes, keepKey: false, ct);
        var id = await store.AddNodeAsync(environmentId, write, ct);
        if (input.Roles?.Contains(Role.PrimaryController) == true) await store.SetPrimaryAsync(environmentId, id, ct);
        return id;
    }

    /// <summary>Edits a node. Fields left null keep their value; a null key keeps the stored key.</summary>
    public async Task<bool> UpdateNodeAsync(long environmentId, long nodeId, NodeInput input, CancellationToken ct)
    {
        var nodes = await store.ListNodesAsync(environmentId, ct);
        var current = nodes.FirstOrDefault(n => n.Id == nodeId);
        if (current is null) return false;
        input = new NodeInput(
            input.Name ?? current.Name,
            input.Address ?? current.Address,
            input.SshPort ?? current.SshPort,
            input.SshUser ?? current.SshUser,
            input.Roles ?? current.Roles,
            input.PrivateKey,
            input.ExecutorHost ?? current.ExecutorHost);
        var write = await PrepareAsync(input, nodes.Where(n => n.Id != nodeId).ToList(), keepKey: true, ct);
        if (write.PrivateKey is null) write = write with { SshPublicKey = current.SshPublicKey };
        if (!await store.UpdateNodeAsync(environmentId, nodeId, write, ct)) return false;
        if (input.Roles!.Contains(Role.PrimaryController)) await store.SetPrimaryAsync(environmentId, nodeId, ct);
        // A new address is another machine as far as host-key trust goes.
        if (!string.Equals(current.Address, input.Address, StringComparison.OrdinalIgnoreCase) || current.SshPort != input.SshPort)
            await store.SetHostKeyAsync(nodeId, null, null, ct);
        return true;
    }

    public Task<bool> DeleteNodeAsync(long environmentId, long nodeId, CancellationToken ct) =>
        store.DeleteNodeAsync(environmentId, nodeId, ct);

    /// <summary>Moves the primary controller to a node, which must be a controller.</summary>
    public async Task<bool> SetPrimaryAsync(long environmentId, long nodeId, CancellationToken ct)
    {
        var node = (await store.ListNodesAsync(environmentId, ct)).FirstOrDefault(n => n.Id == nodeId);
        if (node is null) return false;
        if (!node.IsController)
            throw new ValidationFailedException(new ValidationReport().Error("roles", $"Node '{node.Name}' must have the Controller role to be the primary controller."));
        return await store.SetPrimaryAsync(environmentId, nodeId, ct);
    }

    /// <summary>
    /// Saves settings. Secrets given as null keep their stored value (forms never send them back);
    /// enabling the plugin generates whatever secret is still missing.
    /// </summary>
    public async Task<MistralSettings?> UpdateSettingsAsync(long environmentId, MistralSettings input, CancellationToken ct)
    {
        if (await store.GetAsync(environmentId, ct) is null) return null;
        var current = await store.GetSettingsAsync(environmentId, ct);
        var merged = input with
        {
            DbPassword = input.DbPassword ?? current.DbPassword,
            KeystonePassword = input.KeystonePassword ?? current.KeystonePassword,
            RabbitPassword = input.RabbitPassword ?? current.RabbitPassword,
            AdminPassword = input.AdminPassword ?? current.AdminPassword,
        };
        if (merged.Enabled) merged = SettingsRules.WithGeneratedSecrets(merged, secrets);
        var report = SettingsRules.Validate(merged);
        if (!report.IsValid) throw new ValidationFailedException(report);
        await store.SaveSettingsAsync(environmentId, merged, ct);
        return merged;
    }

    public async Task<bool> RegenerateSecretAsync(long environmentId, string secretName, CancellationToken ct)
    {
        if (!SecretNames.Generated.Contains(secretName))
            throw new ValidationFailedException(new ValidationReport().Error("secret", $"Unknown secret '{secretName}'."));
        if (await store.GetAsync(environmentId, ct) is null) return false;
        var current = await store.GetSettingsAsync(environmentId, ct);
        await store.SaveSettingsAsync(environmentId, SettingsRules.Regenerate(current, secretName, secrets), ct);
        return true;
    }

    /// <summary>Everything that would stop a deployment (errors) or deserves attention (warnings).</summary>
    public async Task<ValidationReport?> ValidateEnvironmentAsync(long environmentId, CancellationToken ct)
    {
        var env = await store.GetAsync(environmentId, ct);
        if (env is null) return null;
        var nodes = await store.ListNodesAsync(environmentId, ct);
        var settings = await store.GetSettingsAsync(environmentId, ct);
        var report = RoleRules.Validate(nodes);
        report.AddRange(SettingsRules.Validate(settings).Issues);
        if (!settings.Enabled) report.Error("enabled", "The Mistral plugin is not enabled for this environment.");
        foreach (var n in nodes.Where(n => !n.HasOwnSshKey && !env.HasSshKey))
            report.Error("privateKey", $"Node '{n.Name}' has no SSH key, and the environment has none either.");
        return report;
    }

    private static NodeInput Defaults(NodeInput i) => i with
    {
        SshPort = i.SshPort ?? 22,
        SshUser = string.IsNullOrWhiteSpace(i.SshUser) ? "root" : i.SshUser,
        Roles = i.Roles ?? [],
    };

    private async Task<NodeWrite> PrepareAsync(NodeInput input, IReadOnlyCollection<Node> others, bool keepKey, CancellationToken ct)
    {
        var report = NodeRules.Validate(input, others);
        string? publicKey = null;
        string? privateKey = keepKey ? input.PrivateKey : (string.IsNullOrWhiteSpace(input.PrivateKey) ? "" : input.PrivateKey);
        if (!string.IsNullOrWhiteSpace(input.PrivateKey) && report.FirstErrorFor("privateKey") is null)
        {
            var (pub, error) = await InspectKeyAsync(input.PrivateKey, "privateKey", ct);
            if (error is not null) report.AddRange(error.Issues);
            publicKey = pub;
        }
        else if (input.PrivateKey is not null && string.IsNullOrWhiteSpace(input.PrivateKey)) privateKey = "";
        if (!report.IsValid) throw new ValidationFailedException(report);
        return new NodeWrite(
            input.Name!, input.Address!, input.SshPort!.Value, input.SshUser!,
            Role.Normalize(input.Roles!.Where(r => r != Role.PrimaryController)),
            privateKey, publicKey,
            string.IsNullOrWhiteSpace(input.ExecutorHost) ? null : input.ExecutorHost);
    }

    private async Task<(string? PublicKey, ValidationReport? Error)> InspectKeyAsync(string key, string field, CancellationToken ct)
    {
        var (pub, error) = await keys.InspectAsync(key, ct);
        return error is null ? (pub, null) : (null, new ValidationReport().Error(field, error));
    }
}
