using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Mistral.Console.Core.Deployments;
using Mistral.Console.Core.Environments;
using Mistral.Console.Core.Roles;
using Mistral.Console.Core.Settings;
using Mistral.Console.Jobs.Engine;
using Mistral.Console.Jobs.Logs;
using Mistral.Console.Jobs.Storage;
using Mistral.Console.Tests.Shared;

namespace Mistral.Console.Jobs.Tests.Engine;

/// <summary>Records what the engine announces, like a live viewer would see it.</summary>
public sealed class RecordingSink : IDeploymentEventSink
{
    public ConcurrentQueue<DeploymentInfo> Deployments { get; } = new();
    public ConcurrentQueue<TaskRun> Runs { get; } = new();
    public ConcurrentQueue<LogLine> Lines { get; } = new();

    public void DeploymentChanged(DeploymentInfo deployment) => Deployments.Enqueue(deployment);
    public void TaskRunChanged(TaskRun run) => Runs.Enqueue(run);
    public void LogLines(long deploymentId, IReadOnlyList<LogLine> lines)
    {
        foreach (var l in lines) Lines.Enqueue(l);
    }
}

/// <summary>
/// The real engine in a generic host: SQLite and Quartz files in a data directory, OpenSSH against
/// the fixture's sshd nodes. Two hosts on one data directory model a dashboard restart.
/// </summary>
public sealed class EngineHost : IAsyncDisposable
{
    private readonly IHost _host;

    private EngineHost(IHost host, string dataDir)
    {
        _host = host;
        DataDirectory = dataDir;
    }

    public string DataDirectory { get; }
    public IServiceProvider Services => _host.Services;
    public RecordingSink Sink => Services.GetRequiredService<RecordingSink>();
    public DeploymentCommands Deployments => Services.GetRequiredService<DeploymentCommands>();
    public DeploymentStore Store => Services.GetRequiredService<DeploymentStore>();
    public LogStore Logs => Services.GetRequiredService<LogStore>();
    public EnvironmentCommands Environments => Services.GetRequiredService<EnvironmentCommands>();

    public static async Task<EngineHost> StartAsync(string dataDir, string catalogPath, TimeSpan? stopGrace = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["MistralConsole:DataDirectory"] = dataDir,
            ["MistralConsole:Engine:CatalogPath"] = catalogPath,
            ["MistralConsole:Engine:StopGracePeriod"] = (stopGrace ?? TimeSpan.FromSeconds(30)).ToString(),
            ["MistralConsole:Engine:SweepInterval"] = "00:00:02",
            ["MistralConsole:Engine:ChecksAfterDeployment"] = "false",
            ["MistralConsole:Ssh:RuntimeRoot"] = dataDir,
        });
        builder.Logging.ClearProviders();
        builder.Services.AddMistralConsoleCore(builder.Configuration);
        builder.Services.AddSingleton<RecordingSink>();
        builder.Services.AddSingleton<IDeploymentEventSink>(sp => sp.GetRequiredService<RecordingSink>());
        builder.Services.AddDeploymentEngine(builder.Configuration);
        var host = builder.Build();
        await host.Services.GetRequiredService<Migrator>().MigrateAsync();
        await host.StartAsync();
        return new EngineHost(host, dataDir);
    }

    /// <summary>An environment whose nodes are the given sshd nodes, plugin enabled, one shared key.</summary>
    public async Task<(long EnvironmentId, IReadOnlyList<Node> Nodes)> CreateEnvironmentAsync(
        SshdFixture sshd, IReadOnlyList<(SshNode Node, string[] Roles)> nodes)
    {
        var env = await Environments.CreateAsync("env-" + Guid.NewGuid().ToString("N")[..8], default);
        await Environments.SetSshKeyAsync(env, sshd.PrivateKeyText, default);
        foreach (var (node, roles) in nodes)
            // As the sudo user: root's .bashrc on this machine kind costs ~2 s per command (pyenv init).
            await Environments.AddNodeAsync(env, new NodeInput(node.Name, node.Address, node.Port, SshdFixture.SudoUser, roles, null, null), default);
        await Environments.UpdateSettingsAsync(env, MistralSettings.Defaults with { Enabled = true }, default);
        var store = Services.GetRequiredService<IEnvironmentStore>();
        return (env, await store.ListNodesAsync(env, default));
    }

    public async Task<DeploymentInfo> WaitAsync(long deploymentId, Func<DeploymentInfo, bool> until, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var d = await Store.GetAsync(deploymentId, default) ?? throw new InvalidOperationException("deployment vanished");
            if (until(d)) return d;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Deployment {deploymentId} is {d.Status} ({d.Message}) after the wait.");
            await Task.Delay(100);
        }
    }

    public Task<DeploymentInfo> WaitFinishedAsync(long id, TimeSpan? timeout = null) =>
        WaitAsync(id, d => d.Status is DeploymentStatus.Succeeded or DeploymentStatus.Failed or DeploymentStatus.Stopped, timeout);

    public async Task<Dictionary<(string Task, string Node), TaskRun>> LatestAsync(long deploymentId) =>
        (await Store.ListRunsAsync(deploymentId, default)).GroupBy(r => (r.TaskId, r.NodeName))
            .ToDictionary(g => g.Key, g => g.MaxBy(r => r.Attempt)!);

    public async ValueTask DisposeAsync()
    {
        var db = Services.GetRequiredService<Database>();
        await _host.StopAsync(TimeSpan.FromSeconds(20));
        _host.Dispose();
        db.ReleasePooledConnections();
    }
}

public static class Roles
{
    public static readonly string[] Controller = [Role.Controller];
    public static readonly string[] Mistral = [Role.Mistral];
    public static readonly string[] Both = [Role.Controller, Role.Mistral];
}
