using System.Data.Common;
using System.Text.Json;
using System.Text.Json.Serialization;
using Dapper;
using Mistral.Console.Core.Environments;
using Mistral.Console.Core.Secrets;
using Mistral.Console.Core.Settings;

namespace Mistral.Console.Jobs.Storage;

/// <summary>Owns the environments, nodes and mistral_settings tables.</summary>
public sealed class EnvironmentStore(Database db, ISecretProtector protector, TimeProvider clock) : IEnvironmentStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    private const string EnvironmentColumns = "id, name, ssh_key_enc IS NOT NULL AS has_key, ssh_public_key, created_at";
    private const string NodeColumns =
        "id, environment_id, name, address, ssh_port, ssh_user, roles, ssh_key_enc IS NOT NULL AS has_key, ssh_public_key, executor_host, host_key, host_key_fingerprint, created_at";

    public async Task<IReadOnlyList<CloudEnvironment>> ListAsync(CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var rows = await c.QueryAsync<EnvRow>(new CommandDefinition($"SELECT {EnvironmentColumns} FROM environments ORDER BY lower(name)", cancellationToken: ct));
        return rows.Select(r => r.ToModel()).ToList();
    }

    public async Task<CloudEnvironment?> GetAsync(long id, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var row = await c.QuerySingleOrDefaultAsync<EnvRow>(new CommandDefinition($"SELECT {EnvironmentColumns} FROM environments WHERE id = @id", new { id }, cancellationToken: ct));
        return row?.ToModel();
    }

    public async Task<bool> NameTakenAsync(string name, long? exceptId, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM environments WHERE lower(name) = lower(@name) AND id <> @exceptId",
            new { name, exceptId = exceptId ?? -1 }, cancellationToken: ct)) > 0;
    }

    public async Task<long> CreateAsync(string name, MistralSettings settings, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        var id = await c.ExecuteScalarAsync<long>(new CommandDefinition(
            "INSERT INTO environments (name, created_at) VALUES (@name, @now) RETURNING id",
            new { name, now = Now() }, tx, cancellationToken: ct));
        await WriteSettingsAsync(c, tx, id, settings, ct);
        await tx.CommitAsync(ct);
        return id;
    }

    public async Task<bool> RenameAsync(long id, string name, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteAsync(new CommandDefinition("UPDATE environments SET name = @name WHERE id = @id", new { id, name }, cancellationToken: ct)) == 1;
    }

    public async Task<bool> DeleteAsync(long id, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteAsync(new CommandDefinition("DELETE FROM environments WHERE id = @id", new { id }, cancellationToken: ct)) == 1;
    }

    public async Task<bool> SetSshKeyAsync(long id, string? privateKey, string? publicKey, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteAsync(new CommandDefinition(
            "UPDATE environments SET ssh_key_enc = @enc, ssh_public_key = @publicKey WHERE id = @id",
            new { id, enc = privateKey is null ? null : protector.Protect(privateKey), publicKey }, cancellationToken: ct)) == 1;
    }

    public async Task<IReadOnlyList<Node>> ListNodesAsync(long environmentId, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var primary = await c.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT primary_node_id FROM environments WHERE id = @environmentId", new { environmentId }, cancellationToken: ct));
        var rows = await c.QueryAsync<NodeRow>(new CommandDefinition(
            $"SELECT {NodeColumns} FROM nodes WHERE environment_id = @environmentId ORDER BY id", new { environmentId }, cancellationToken: ct));
        return Layout.WithPrimary(rows.Select(r => r.ToModel()).ToList(), primary);
    }

    public async Task<long> AddNodeAsync(long environmentId, NodeWrite node, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteScalarAsync<long>(new CommandDefinition(
            """
            INSERT INTO nodes (environment_id, name, address, ssh_port, ssh_user, roles, ssh_key_enc, ssh_public_key, executor_host, created_at)
            VALUES (@environmentId, @Name, @Address, @SshPort, @SshUser, @roles, @enc, @SshPublicKey, @ExecutorHost, @now)
            RETURNING id
            """,
            new
            {
                environmentId, node.Name, node.Address, node.SshPort, node.SshUser, roles = JoinRoles(node.Roles),
                enc = string.IsNullOrEmpty(node.PrivateKey) ? null : protector.Protect(node.PrivateKey),
                node.SshPublicKey, node.ExecutorHost, now = Now(),
            }, cancellationToken: ct));
    }

    public async Task<bool> UpdateNodeAsync(long environmentId, long nodeId, NodeWrite node, CancellationToken ct)
    {
        // A null key keeps the stored one; "" removes it.
        var keySql = node.PrivateKey is null ? "" : ", ssh_key_enc = @enc, ssh_public_key = @SshPublicKey";
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteAsync(new CommandDefinition(
            $"""
            UPDATE nodes SET name = @Name, address = @Address, ssh_port = @SshPort, ssh_user = @SshUser, roles = @roles,
                   executor_host = @ExecutorHost{keySql}
            WHERE id = @nodeId AND environment_id = @environmentId
            """,
            new
            {
                environmentId, nodeId, node.Name, node.Address, node.SshPort, node.SshUser, roles = JoinRoles(node.Roles),
                enc = string.IsNullOrEmpty(node.PrivateKey) ? null : protector.Protect(node.PrivateKey),
                SshPublicKey = string.IsNullOrEmpty(node.PrivateKey) ? null : node.SshPublicKey, node.ExecutorHost,
            }, cancellationToken: ct)) == 1;
    }

    public async Task<bool> DeleteNodeAsync(long environmentId, long nodeId, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteAsync(new CommandDefinition(
            "DELETE FROM nodes WHERE id = @nodeId AND environment_id = @environmentId", new { environmentId, nodeId }, cancellationToken: ct)) == 1;
    }

    public async Task<bool> SetPrimaryAsync(long environmentId, long nodeId, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteAsync(new CommandDefinition(
            """
            UPDATE environments SET primary_node_id = @nodeId
            WHERE id = @environmentId AND EXISTS (SELECT 1 FROM nodes WHERE id = @nodeId AND environment_id = @environmentId)
            """, new { environmentId, nodeId }, cancellationToken: ct)) == 1;
    }

    public async Task<bool> SetHostKeyAsync(long nodeId, string? hostKey, string? fingerprint, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteAsync(new CommandDefinition(
            "UPDATE nodes SET host_key = @hostKey, host_key_fingerprint = @fingerprint WHERE id = @nodeId",
            new { nodeId, hostKey, fingerprint }, cancellationToken: ct)) == 1;
    }

    public async Task<string?> GetPrivateKeyAsync(long nodeId, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var enc = await c.ExecuteScalarAsync<string?>(new CommandDefinition(
            """
            SELECT COALESCE(n.ssh_key_enc, e.ssh_key_enc) FROM nodes n JOIN environments e ON e.id = n.environment_id
            WHERE n.id = @nodeId
            """, new { nodeId }, cancellationToken: ct));
        return enc is null ? null : protector.Unprotect(enc);
    }

    public async Task<MistralSettings> GetSettingsAsync(long environmentId, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var row = await c.QuerySingleOrDefaultAsync<SettingsRow>(new CommandDefinition(
            "SELECT document, secrets_enc FROM mistral_settings WHERE environment_id = @environmentId",
            new { environmentId }, cancellationToken: ct));
        if (row is null) return MistralSettings.Defaults;
        var settings = JsonSerializer.Deserialize<MistralSettings>(row.document, Json) ?? MistralSettings.Defaults;
        var secrets = JsonSerializer.Deserialize<StoredSecrets>(protector.Unprotect(row.secrets_enc), Json) ?? new StoredSecrets();
        return settings with
        {
            DbPassword = secrets.Db, KeystonePassword = secrets.Keystone, RabbitPassword = secrets.Rabbit, AdminPassword = secrets.Admin,
        };
    }

    public async Task SaveSettingsAsync(long environmentId, MistralSettings settings, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        await WriteSettingsAsync(c, tx, environmentId, settings, ct);
        await tx.CommitAsync(ct);
    }

    private async Task WriteSettingsAsync(DbConnection c, DbTransaction tx, long environmentId, MistralSettings s, CancellationToken ct)
    {
        var document = JsonSerializer.Serialize(s with { DbPassword = null, KeystonePassword = null, RabbitPassword = null, AdminPassword = null }, Json);
        var secrets = protector.Protect(JsonSerializer.Serialize(new StoredSecrets(s.DbPassword, s.KeystonePassword, s.RabbitPassword, s.AdminPassword), Json));
        await c.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO mistral_settings (environment_id, enabled, document, secrets_enc, updated_at)
            VALUES (@environmentId, @enabled, @document, @secrets, @now)
            ON CONFLICT (environment_id) DO UPDATE SET enabled = excluded.enabled, document = excluded.document,
                secrets_enc = excluded.secrets_enc, updated_at = excluded.updated_at
            """,
            new { environmentId, enabled = s.Enabled ? 1 : 0, document, secrets, now = Now() }, tx, cancellationToken: ct));
    }

    private long Now() => Time.ToDb(clock.GetUtcNow());

    private static string JoinRoles(IEnumerable<string> roles) => string.Join(',', roles);

    private sealed record StoredSecrets(string? Db = null, string? Keystone = null, string? Rabbit = null, string? Admin = null);

    // Row shapes mirror the SELECT column lists above; Dapper maps by name.
#pragma warning disable IDE1006
    private sealed class EnvRow
    {
        public long id { get; set; }
        public string name { get; set; } = "";
        public bool has_key { get; set; }
        public string? ssh_public_key { get; set; }
        public long created_at { get; set; }
        public CloudEnvironment ToModel() => new(id, name, Time.FromDb(created_at), has_key, ssh_public_key);
    }

    private sealed class NodeRow
    {
        public long id { get; set; }
        public long environment_id { get; set; }
        public string name { get; set; } = "";
        public string address { get; set; } = "";
        public long ssh_port { get; set; }
        public string ssh_user { get; set; } = "";
        public string roles { get; set; } = "";
        public bool has_key { get; set; }
        public string? ssh_public_key { get; set; }
        public string? executor_host { get; set; }
        public string? host_key { get; set; }
        public string? host_key_fingerprint { get; set; }
        public long created_at { get; set; }
        public Node ToModel() => new(id, environment_id, name, address, (int)ssh_port, ssh_user,
            roles.Split(',', StringSplitOptions.RemoveEmptyEntries), has_key, ssh_public_key, executor_host,
            host_key, host_key_fingerprint, Time.FromDb(created_at));
    }

    private sealed class SettingsRow
    {
        public string document { get; set; } = "";
        public string secrets_enc { get; set; } = "";
    }
#pragma warning restore IDE1006
}
