using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Logging.Abstractions;
using Mistral.Console.Core.Deployments;
using Mistral.Console.Core.Environments;
using Mistral.Console.Core.Graph;
using Mistral.Console.Core.Roles;
using Mistral.Console.Core.Settings;
using Mistral.Console.Jobs.Engine;
using Mistral.Console.Jobs.Logs;
using Mistral.Console.Jobs.Secrets;
using Mistral.Console.Jobs.Storage;
using Mistral.Console.Tests.Shared;
using Xunit;

namespace Mistral.Console.Jobs.Tests.Storage;

/// <summary>The stores against both dialects: a SQLite file and a real PostgreSQL server.</summary>
[Collection(PostgresCollection.Name)]
public sealed class StoreTests(PostgresFixture postgres) : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("stores-").FullName;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, true);
        return Task.CompletedTask;
    }

    public static TheoryData<string> Dialects => new() { "sqlite", "postgres" };

    private async Task<Database> OpenAsync(string dialect)
    {
        var db = dialect == "sqlite"
            ? Database.SqliteFile(Path.Combine(_dir, $"{Guid.NewGuid():N}.db"))
            : new Database(SqlDialect.Postgres, await postgres.NewDatabaseAsync());
        await new Migrator(db, NullLogger<Migrator>.Instance).MigrateAsync();
        return db;
    }

    private static EnvironmentStore Environments(Database db) =>
        new(db, new DataProtectionSecretProtector(new EphemeralDataProtectionProvider()), TimeProvider.System);

    [Theory, MemberData(nameof(Dialects))]
    public async Task Migrate_AppliesEveryFileOnce(string dialect)
    {
        var db = await OpenAsync(dialect);
        var again = await new Migrator(db, NullLogger<Migrator>.Instance).MigrateAsync();
        Assert.Equal(0, again);
        Assert.Equal(Migrator.Load(db.Dialect).Select(m => m.Version), Migrator.Load(SqlDialect.Sqlite).Select(m => m.Version));
    }

    [Theory, MemberData(nameof(Dialects))]
    public async Task EnvironmentStore_RoundTripsNodesSettingsAndEncryptedSecrets(string dialect)
    {
        var db = await OpenAsync(dialect);
        var store = Environments(db);
        var env = await store.CreateAsync("Prod ☁", MistralSettings.Defaults, default);
        var c1 = await store.AddNodeAsync(env, new NodeWrite("ctl1", "10.0.0.1", 22, "root", [Role.Controller], "PRIVATE-KEY-TEXT", "ssh-ed25519 AAA", null), default);
        await store.AddNodeAsync(env, new NodeWrite("mis1", "fe80::1", 2222, "deploy", [Role.Mistral], null, null, "exec-a"), default);
        await store.SaveSettingsAsync(env, MistralSettings.Defaults with { Enabled = true, DbPassword = "A".PadRight(24, 'b'), RabbitHosts = ["10.0.0.9"] }, default);

        var nodes = await store.ListNodesAsync(env, default);
        Assert.Equal([Role.Controller, Role.PrimaryController], nodes.Single(n => n.Name == "ctl1").Roles);
        Assert.True(nodes.Single(n => n.Name == "ctl1").HasOwnSshKey);
        Assert.Equal("exec-a", nodes.Single(n => n.Name == "mis1").ExecutorHost);
        Assert.Equal("PRIVATE-KEY-TEXT", await store.GetPrivateKeyAsync(c1, default));
        var settings = await store.GetSettingsAsync(env, default);
        Assert.True(settings.Enabled);
        Assert.Equal("A".PadRight(24, 'b'), settings.DbPassword);
        Assert.Equal(["10.0.0.9"], settings.RabbitHosts);

        // Secrets are not stored in the clear.
        await using var c = await db.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT document || secrets_enc FROM mistral_settings";
        var raw = (string)(await cmd.ExecuteScalarAsync())!;
        Assert.DoesNotContain("bbbbbbbb", raw);
        cmd.CommandText = "SELECT ssh_key_enc FROM nodes WHERE name = 'ctl1'";
        Assert.DoesNotContain("PRIVATE-KEY-TEXT", (string)(await cmd.ExecuteScalarAsync())!);

        Assert.True(await store.DeleteAsync(env, default));
        Assert.Empty(await store.ListNodesAsync(env, default)); // cascade
    }

    [Theory, MemberData(nameof(Dialects))]
    public async Task DeploymentStore_AllowsOneActiveDeploymentPerEnvironment_AndMovesByCompareAndSet(string dialect)
    {
        var db = await OpenAsync(dialect);
        var env = await Environments(db).CreateAsync("e", MistralSettings.Defaults, default);
        var store = new DeploymentStore(db, TimeProvider.System);
        var id = await store.CreateAsync(env, "admin", "c", "tasks: []", null, null, [(new TaskKey("a", 1), "n1"), (new TaskKey("b", 1), "n1")], default);

        await Assert.ThrowsAsync<DeploymentConflictException>(() => store.CreateAsync(env, "admin", "c", "tasks: []", null, null, [], default));
        Assert.True(await store.TryMoveAsync(id, DeploymentStatus.Pending, DeploymentStatus.Running, null, default));
        Assert.False(await store.TryMoveAsync(id, DeploymentStatus.Pending, DeploymentStatus.Running, null, default)); // someone else won

        var run = (await store.ListRunsAsync(id, default)).First();
        Assert.True(await store.TryMoveRunAsync(run.Id, TaskRunStatus.Pending, TaskRunStatus.Running, null, null, default));
        Assert.False(await store.TryMoveRunAsync(run.Id, TaskRunStatus.Pending, TaskRunStatus.Running, null, null, default));
        Assert.True(await store.TryMoveRunAsync(run.Id, TaskRunStatus.Running, TaskRunStatus.Failed, 2, "boom", default));
        Assert.Throws<InvalidOperationException>(() => { store.TryMoveRunAsync(run.Id, TaskRunStatus.Failed, TaskRunStatus.Running, null, null, default).GetAwaiter().GetResult(); });

        await store.AddAttemptsAsync(id, [(await store.GetRunAsync(run.Id, default))!], default);
        var attempts = (await store.ListRunsAsync(id, default)).Where(r => r.TaskId == run.TaskId).ToList();
        Assert.Equal([1, 2], attempts.Select(a => a.Attempt));
        Assert.Equal(TaskRunStatus.Failed, attempts[0].Status);   // history kept
        Assert.Equal(2, attempts[0].ExitCode);

        Assert.True(await store.TryMoveAsync(id, DeploymentStatus.Running, DeploymentStatus.Failed, "done", default));
        var second = await store.CreateAsync(env, "admin", "c", "tasks: []", null, null, [], default); // the first is no longer active
        Assert.True(second > id);
    }

    [Theory, MemberData(nameof(Dialects))]
    public async Task LogStore_AppendsBatchesAndPagesBothWays(string dialect)
    {
        var db = await OpenAsync(dialect);
        var env = await Environments(db).CreateAsync("e", MistralSettings.Defaults, default);
        var deployments = new DeploymentStore(db, TimeProvider.System);
        var id = await deployments.CreateAsync(env, "admin", "c", "tasks: []", null, null, [], default);
        var logs = new LogStore(db);
        var now = DateTimeOffset.UtcNow;
        var lines = Enumerable.Range(1, 2500).Select(i => new LogLine(i, now, null, i % 2, i % 2 == 0 ? "even" : "odd", i % 3 == 0 ? LogStream.Err : LogStream.Out, $"line {i} ünïcødé \t'\"")).ToList();

        foreach (var batch in lines.Chunk(1000)) await logs.AppendAsync(id, batch, default);

        Assert.Equal(2500, await logs.MaxSeqAsync(id, default));
        var first = await logs.ReadAsync(id, 0, 10, null, null, default);
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), first.Select(l => l.Seq));
        Assert.Equal("line 1 ünïcødé \t'\"", first[0].Text);
        var evenTail = await logs.ReadBeforeAsync(id, 2501, 3, 0, "even", default);
        Assert.Equal([2496L, 2498L, 2500L], evenTail.Select(l => l.Seq));
        Assert.Equal(LogStream.Err, (await logs.ReadAsync(id, 2, 1, null, null, default)).Single().Stream);
    }
}
