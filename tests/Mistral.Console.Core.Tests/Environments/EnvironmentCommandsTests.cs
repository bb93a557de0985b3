using Microsoft.AspNetCore.DataProtection;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Mistral.Console.Core.Environments;
using Mistral.Console.Core.Roles;
using Mistral.Console.Core.Secrets;
using Mistral.Console.Core.Settings;
using Mistral.Console.Core.Validation;
using Mistral.Console.Jobs.Secrets;
using Mistral.Console.Jobs.Storage;
using Mistral.Console.Tests.Shared;

namespace Mistral.Console.Core.Tests.Environments;

/// <summary>EnvironmentCommands against the real SQLite store: what is refused leaves the store unchanged.</summary>
public sealed class EnvironmentCommandsTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mc-core-tests-").FullName;
    private EnvironmentStore _store = default!;
    private EnvironmentCommands _commands = default!;

    public async Task InitializeAsync()
    {
        var db = Database.SqliteFile(Path.Combine(_dir, "test.db"));
        await new Migrator(db, NullLogger<Migrator>.Instance).MigrateAsync();
        _store = new EnvironmentStore(db, new DataProtectionSecretProtector(new EphemeralDataProtectionProvider()), TimeProvider.System);
        _commands = new EnvironmentCommands(_store, new SshKeygenKeyInspector(), new SecretGenerator(new CryptoRandomSource()));
    }

    public Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }

    private static CancellationToken Ct => CancellationToken.None;

    private static NodeInput Node(string name, string address, params string[] roles) => new(name, address, null, null, roles, null, null);

    private static ValidationReport Refused(Func<Task> action) => Assert.ThrowsAsync<ValidationFailedException>(action).Result.Report;

    private async Task<string> SnapshotAsync(long envId) =>
        string.Join('\n', (await _store.ListNodesAsync(envId, Ct)).Select(n => n with { CreatedAt = default }))
        + (await _store.GetAsync(envId, Ct)) + (await _store.GetSettingsAsync(envId, Ct));

    [Fact]
    public async Task Create_Rename_Delete_WithNameRules()
    {
        var id = await _commands.CreateAsync("prod $(reboot); 'q'", Ct);
        Assert.Equal("prod $(reboot); 'q'", (await _store.GetAsync(id, Ct))!.Name);
        Assert.Equal("name", Refused(() => _commands.CreateAsync("PROD $(reboot); 'q'", Ct)).Issues.Single().Field);
        Assert.Single(await _store.ListAsync(Ct));

        var other = await _commands.CreateAsync("staging", Ct);
        Refused(() => _commands.RenameAsync(other, "prod $(reboot); 'q'", Ct));
        Assert.True(await _commands.RenameAsync(other, "staging-2", Ct));

        Assert.Equal("confirmName", Refused(() => _commands.DeleteAsync(id, "prod", Ct)).Issues.Single().Field);
        Assert.NotNull(await _store.GetAsync(id, Ct));
        Assert.True(await _commands.DeleteAsync(id, "prod $(reboot); 'q'", Ct));
        Assert.Null(await _store.GetAsync(id, Ct));
        Assert.False(await _commands.DeleteAsync(9999, "x", Ct));
    }

    [Fact]
    public async Task AddNode_Defaults_AndTheFirstControllerIsPrimary()
    {
        var env = await _commands.CreateAsync("e", Ct);
        await _commands.AddNodeAsync(env, Node("m1", "10.0.0.21", Role.Mistral), Ct);
        var c1 = (await _commands.AddNodeAsync(env, Node("c1", "10.0.0.11", Role.Controller, Role.Mistral), Ct))!.Value;
        var c2 = (await _commands.AddNodeAsync(env, Node("c2", "10.0.0.12", Role.Controller), Ct))!.Value;
        var nodes = await _store.ListNodesAsync(env, Ct);
        Assert.All(nodes, n => { Assert.Equal(22, n.SshPort); Assert.Equal("root", n.SshUser); });
        Assert.Equal(c1, nodes.Single(n => n.IsPrimary).Id);

        Assert.True(await _commands.SetPrimaryAsync(env, c2, Ct));
        Assert.Equal(c2, (await _store.ListNodesAsync(env, Ct)).Single(n => n.IsPrimary).Id);
        var m1 = nodes.Single(n => n.Name == "m1").Id;
        Assert.Equal("roles", Refused(() => _commands.SetPrimaryAsync(env, m1, Ct)).Issues.Single().Field);

        var report = (await _commands.ValidateEnvironmentAsync(env, Ct))!;
        Assert.Empty(report.Warnings);
        Assert.Contains(report.Errors, e => e.Field == "enabled");
        Assert.Contains(report.Errors, e => e.Field == "privateKey");
    }

    [Fact]
    public async Task BadNodes_AreRefused_AndNothingIsStored()
    {
        var env = await _commands.CreateAsync("e", Ct);
        await _commands.AddNodeAsync(env, Node("c1", "10.0.0.11", Role.Controller, Role.Mistral), Ct);
        var before = await SnapshotAsync(env);

        var bad = new (NodeInput Input, string Field)[]
        {
            (Node("$(reboot)", "10.0.0.30", Role.Mistral), "name"),
            (Node("c1", "10.0.0.30", Role.Mistral), "name"),
            (Node("n2", "10.0.0.11", Role.Mistral), "address"),
            (Node("n2", "10.0.0", Role.Mistral), "address"),
            (Node("n2", "10.0.0.30", "superuser"), "roles"),
            (Node("n2", "10.0.0.30", Role.Mistral) with { SshPort = 0 }, "sshPort"),
            (Node("n2", "10.0.0.30", Role.Mistral) with { SshPort = 70000 }, "sshPort"),
            (Node("n2", "10.0.0.30", Role.Mistral) with { PrivateKey = "-----BEGIN OPENSSH PRIVATE KEY-----\nbroken\n-----END OPENSSH PRIVATE KEY-----" }, "privateKey"),
            (Node("n2", "10.0.0.30", Role.Mistral) with { PrivateKey = TestKeys.WithPassphrase }, "privateKey"),
            (Node(new string('n', 10_000), "10.0.0.30", Role.Mistral), "name"),
        };
        foreach (var (input, field) in bad)
        {
            var report = Refused(() => _commands.AddNodeAsync(env, input, Ct));
            Assert.Contains(report.Errors, e => e.Field == field);
        }
        Assert.Equal(before, await SnapshotAsync(env));
    }

    [Fact]
    public async Task NodeKeys_AreStoredEncrypted_AndKeptOnEditUnlessReplacedOrRemoved()
    {
        var env = await _commands.CreateAsync("e", Ct);
        var key = TestKeys.Ed25519;
        var id = (await _commands.AddNodeAsync(env, Node("c1", "10.0.0.11", Role.Controller) with { PrivateKey = key }, Ct))!.Value;
        var node = (await _store.ListNodesAsync(env, Ct)).Single();
        Assert.True(node.HasOwnSshKey);
        Assert.StartsWith("ssh-ed25519 ", node.SshPublicKey);
        Assert.Equal(key, await _store.GetPrivateKeyAsync(id, Ct));

        var file = File.ReadAllText(Path.Combine(_dir, "test.db"));
        Assert.DoesNotContain(key.Split('\n')[1], file);

        Assert.True(await _commands.UpdateNodeAsync(env, id, new NodeInput("c1-renamed", null, 2222, null, null, null, null), Ct));
        Assert.Equal(key, await _store.GetPrivateKeyAsync(id, Ct));
        Assert.Equal(2222, (await _store.ListNodesAsync(env, Ct)).Single().SshPort);

        var before = await SnapshotAsync(env);
        Refused(() => _commands.UpdateNodeAsync(env, id, new NodeInput(null, "not an address!", null, null, null, null, null), Ct));
        Assert.Equal(before, await SnapshotAsync(env));

        Assert.True(await _commands.UpdateNodeAsync(env, id, new NodeInput(null, null, null, null, null, "", null), Ct));
        Assert.False((await _store.ListNodesAsync(env, Ct)).Single().HasOwnSshKey);
        Assert.Null(await _store.GetPrivateKeyAsync(id, Ct));

        await _commands.SetSshKeyAsync(env, key, Ct);
        Assert.Equal(key, await _store.GetPrivateKeyAsync(id, Ct));
        Assert.Equal("privateKey", Refused(() => _commands.SetSshKeyAsync(env, "garbage", Ct)).Issues.Single().Field);
        Assert.Equal(key, await _store.GetPrivateKeyAsync(id, Ct));
    }

    [Fact]
    public async Task EnablingThePlugin_GeneratesThreePasswords_WhichLaterSavesKeep()
    {
        var env = await _commands.CreateAsync("e", Ct);
        Assert.Null((await _store.GetSettingsAsync(env, Ct)).DbPassword);
        var saved = (await _commands.UpdateSettingsAsync(env, MistralSettings.Defaults with { Enabled = true }, Ct))!;
        string[] secrets = [saved.DbPassword!, saved.KeystonePassword!, saved.RabbitPassword!];
        Assert.All(secrets, s => Assert.Matches("^[A-Za-z0-9]{24}$", s));
        Assert.Equal(3, secrets.Distinct().Count());

        var again = (await _commands.UpdateSettingsAsync(env, MistralSettings.Defaults with { Enabled = true, Debug = true }, Ct))!;
        Assert.Equal(secrets, new[] { again.DbPassword!, again.KeystonePassword!, again.RabbitPassword! });

        Assert.True(await _commands.RegenerateSecretAsync(env, SecretNames.KeystonePassword, Ct));
        var stored = await _store.GetSettingsAsync(env, Ct);
        Assert.Equal(secrets[0], stored.DbPassword);
        Assert.NotEqual(secrets[1], stored.KeystonePassword);
        Refused(() => _commands.RegenerateSecretAsync(env, "rootPassword", Ct));
    }

    [Fact]
    public async Task BadSettings_AreRefused_AndTheStoredOnesStay()
    {
        var env = await _commands.CreateAsync("e", Ct);
        await _commands.UpdateSettingsAsync(env, MistralSettings.Defaults with { Enabled = true }, Ct);
        var before = await SnapshotAsync(env);
        var report = Refused(() => _commands.UpdateSettingsAsync(env, MistralSettings.Defaults with
        {
            Enabled = true, ManagementVip = "10.0.0.256", ApiPort = 70000, KeystoneRegion = "Region One",
            AdminSource = AdminCredentialSource.Explicit, AdminAuthUrl = "keystone", OpenrcPath = "relative",
        }, Ct));
        foreach (var f in new[] { "managementVip", "apiPort", "keystoneRegion", "adminAuthUrl", "adminUser", "adminProject", "adminPassword" })
            Assert.Contains(report.Errors, e => e.Field == f);
        Assert.Equal(before, await SnapshotAsync(env));
    }
}
