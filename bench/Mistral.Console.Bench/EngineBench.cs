using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Mistral.Console.Core.Deployments;
using Mistral.Console.Core.Environments;
using Mistral.Console.Core.Roles;
using Mistral.Console.Core.Settings;
using Mistral.Console.Jobs;
using Mistral.Console.Jobs.Engine;
using Mistral.Console.Jobs.Storage;
using Mistral.Console.Tests.Shared;
using static Mistral.Console.Bench.Report;

namespace Mistral.Console.Bench;

/// <summary>
/// 50 loopback sshd nodes × 10 tasks of `true` through the real engine (Quartz, SQLite, OpenSSH) in
/// a generic host, as tests/Mistral.Console.Jobs.Tests/Engine/EngineHost.cs builds it. A warm-up
/// deployment pins the host keys; the second deployment is measured.
/// </summary>
public static class EngineBench
{
    public const int DefaultNodes = 50;
    public const int TasksPerNode = 10;
    public const double TargetOverhead = 5.0;

    /// <summary>Each node: t1 → t2 → … → t10. t5 also waits for t3 on the primary controller,
    /// t9 for t7 there: the critical path stays 10 tasks long.</summary>
    public static string Catalog()
    {
        var sb = new StringBuilder("tasks:\n");
        for (var i = 1; i <= TasksPerNode; i++)
        {
            sb.Append($"  - id: t{i}\n    roles: [mistral]\n    timeout: 300\n");
            if (i > 1) sb.Append($"    requires: [t{i - 1}]\n");
            if (i is 5 or 9)
                sb.Append($"    cross_depends:\n      - task: t{i - 2}\n        role: primary-controller\n        policy: all\n");
            sb.Append("    script: |\n      true\n");
        }
        return sb.ToString();
    }

    public static async Task RunAsync(int nodeCount = DefaultNodes)
    {
        Say($"engine: {nodeCount} nodes × {TasksPerNode} tasks; {Machine()}");
        var dir = Directory.CreateTempSubdirectory("mcb-engine-").FullName;
        var sshd = new SshdFixture();
        await sshd.InitializeAsync();
        IHost? host = null;
        try
        {
            var nodes = new SshNode[nodeCount];
            var gate = new SemaphoreSlim(4);
            await Task.WhenAll(Enumerable.Range(0, nodeCount).Select(async i =>
            {
                await gate.WaitAsync();
                try { nodes[i] = await sshd.StartNodeAsync($"bn{i + 1:D2}"); }
                finally { gate.Release(); }
            }));
            Say($"{nodeCount} sshd nodes listening; load {Load()}");

            var catalogPath = Path.Combine(dir, "catalog.yaml");
            await File.WriteAllTextAsync(catalogPath, Catalog());
            var sink = new BenchSink();
            host = await StartHostAsync(Path.Combine(dir, "data"), catalogPath, sink);
            var services = host.Services;
            var envs = services.GetRequiredService<EnvironmentCommands>();
            var env = await envs.CreateAsync("bench-engine", default);
            await envs.SetSshKeyAsync(env, sshd.PrivateKeyText, default);
            for (var i = 0; i < nodeCount; i++)
            {
                string[] roles = i == 0 ? [Role.Controller, Role.Mistral] : [Role.Mistral];
                var id = await envs.AddNodeAsync(env, new NodeInput(nodes[i].Name, nodes[i].Address, nodes[i].Port, SshdFixture.SudoUser, roles, null, null), default);
                if (id is null) throw new InvalidOperationException($"node {nodes[i].Name} was refused");
            }
            if (await envs.UpdateSettingsAsync(env, MistralSettings.Defaults with { Enabled = true }, default) is null)
                throw new InvalidOperationException("settings refused");
            var commands = services.GetRequiredService<DeploymentCommands>();
            var store = services.GetRequiredService<DeploymentStore>();

            // Warm-up: host-key scans (trust on first use), first masters, JIT.
            var warm = Stopwatch.GetTimestamp();
            var warmId = await commands.StartAsync(env, "bench", null, null, default) ?? throw new InvalidOperationException("no deployment");
            var warmDone = await sink.Finished(warmId).WaitAsync(TimeSpan.FromMinutes(15));
            Say($"warm-up deployment #{warmId}: {warmDone.Status} in {Ms(Stopwatch.GetTimestamp() - warm) / 1000:F1} s; load {Load()}");
            if (warmDone.Status != DeploymentStatus.Succeeded) throw new InvalidOperationException($"warm-up {warmDone.Status}: {warmDone.Message}");

            // Per-command cost for the lower bound, measured right before and right after the timed
            // deployment (the machine's load drifts): the medians are averaged.
            Say("measuring per-command cost on bn01 for the lower bound…");
            var perBefore = await SshBench.MeasureAsync(sshd, nodes[0], 30);

            // Measured deployment: masters are still open (ControlPersist 60 s), keys pinned.
            sink.Reset();
            var loadBefore = Load();
            var cpu0 = CpuJiffies();
            var proc0 = Process.GetCurrentProcess().TotalProcessorTime;
            var t0 = Stopwatch.GetTimestamp();
            var id2 = await commands.StartAsync(env, "bench", null, null, default) ?? throw new InvalidOperationException("no deployment");
            var done = await sink.Finished(id2).WaitAsync(TimeSpan.FromMinutes(15));
            var wallMs = Ms(Stopwatch.GetTimestamp() - t0);
            var cpu1 = CpuJiffies();
            var procCpu = (Process.GetCurrentProcess().TotalProcessorTime - proc0).TotalMilliseconds;
            var loadAfter = Load();
            if (done.Status != DeploymentStatus.Succeeded) throw new InvalidOperationException($"measured deployment {done.Status}: {done.Message}");
            Say($"measured deployment #{id2}: {wallMs / 1000:F2} s; load {loadAfter}");

            var graph = await commands.GraphAsync(id2, default) ?? throw new InvalidOperationException("no graph");
            var runs = (await store.ListRunsAsync(id2, default)).GroupBy(r => r.Key).ToDictionary(g => g.Key, g => g.MaxBy(r => r.Attempt)!);
            var taskMs = runs.Values.Select(r => r.Duration!.Value.TotalMilliseconds).ToList();
            taskMs.Sort();
            // Critical path with the durations the engine itself recorded: wall minus this is pure dispatch.
            var cpObserved = graph.CriticalPath(v => runs[v.Key].Duration!.Value).TotalMilliseconds;

            // The engine's own hop: from the last dependency's recorded end to the dependent's recorded start.
            var gaps = graph.Vertices.Where(v => v.WaitsFor.Count > 0).Select(v =>
                (runs[v.Key].StartedAt!.Value - v.WaitsFor.SelectMany(g => g.Keys).Max(k => runs[k].FinishedAt!.Value)).TotalMilliseconds).ToList();
            gaps.Sort();

            // What one state change costs the runner: a single-row UPDATE in its own transaction on
            // the app's SQLite file, through the app's Database (same pragmas), engine idle.
            var writes = await SqliteWriteMsAsync(services.GetRequiredService<Database>());

            // Lower bound: critical path × the median raw multiplexed command (engine idle).
            var perAfter = await SshBench.MeasureAsync(sshd, nodes[0], 30);
            var rawMs = (perBefore["raw sudo"].Median + perAfter["raw sudo"].Median) / 2;
            var runnerMs = (perBefore["runner"].Median + perAfter["runner"].Median) / 2;
            var lower = graph.CriticalPath(_ => TimeSpan.FromMilliseconds(rawMs)).TotalMilliseconds;
            var lowerRunner = graph.CriticalPath(_ => TimeSpan.FromMilliseconds(runnerMs)).TotalMilliseconds;
            var overhead = 100.0 * (wallMs - lower) / lower;
            var overheadRunner = 100.0 * (wallMs - lowerRunner) / lowerRunner;
            var tasks = graph.Vertices.Count;

            Table($"engine: {nodeCount} nodes × {TasksPerNode} tasks of `true`, deployment #{id2}", [
                ("vertices / chain length", $"{tasks} / {TasksPerNode}", "", ""),
                ("wall, StartAsync → succeeded", $"{wallMs:F0} ms", "", ""),
                ("lower bound = critical path × raw mux 'sudo -n sh -c true'", $"{lower:F0} ms ({TasksPerNode} × {rawMs:F1})", "", ""),
                ("orchestration overhead vs that bound", $"{overhead:F0} %", $"≤ {TargetOverhead} %", Verdict(overhead <= TargetOverhead)),
                ("lower bound with the runner's own idle median", $"{lowerRunner:F0} ms ({TasksPerNode} × {runnerMs:F1})", "(info)", ""),
                ("overhead vs runner-based bound", $"{overheadRunner:F0} %", "(info)", ""),
                ("critical path of the durations the engine recorded", $"{cpObserved:F0} ms", "(info)", ""),
                ("wall over that path (dispatch gaps, Quartz start)", $"{wallMs - cpObserved:F0} ms = {100 * (wallMs - cpObserved) / cpObserved:F1} %", "(info)", ""),
                ("dispatch hop (dependency end → dependent start): median / p95", $"{Percentile(gaps, 50):F0} / {Percentile(gaps, 95):F0} ms", "(info)", ""),
                ("SQLite write, 1-row UPDATE + commit (idle): median / p95", $"{writes.Median:F1} / {writes.P95:F1} ms", "(info)", ""),
                ("raw mux sudo median before / after the run", $"{perBefore["raw sudo"].Median:F1} / {perAfter["raw sudo"].Median:F1} ms", "", ""),
                ("task duration under load: median / p95 / max", $"{Percentile(taskMs, 50):F0} / {Percentile(taskMs, 95):F0} / {taskMs[^1]:F0} ms", "", ""),
                ("throughput", $"{tasks / (wallMs / 1000):F1} tasks/s", "", ""),
                ("concurrency reached: total / per node (max)", $"{sink.MaxTotal} / {sink.MaxPerNode} (limit 10)", "", ""),
                ("machine CPU busy during run", $"{CpuPercent(cpu0, cpu1):F0} % of {Environment.ProcessorCount} cores", "", ""),
                ("engine process CPU", $"{procCpu:F0} ms ({procCpu / wallMs * 100:F0} % of one core)", "", ""),
                ("sshd MaxStartups / MaxSessions", "100:30:200 / 10", "", ""),
                ("load average before / after", $"{loadBefore} / {loadAfter}", "", ""),
            ]);
        }
        finally
        {
            if (host is not null)
            {
                var db = host.Services.GetRequiredService<Database>();
                await host.StopAsync(TimeSpan.FromSeconds(20));
                host.Dispose();
                db.ReleasePooledConnections();
            }
            await sshd.DisposeAsync();
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    private static async Task<SshBench.Figure> SqliteWriteMsAsync(Database db)
    {
        await using (var c = await db.OpenAsync())
        await using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "CREATE TABLE IF NOT EXISTS bench_probe (id INTEGER PRIMARY KEY, n INTEGER); INSERT OR IGNORE INTO bench_probe VALUES (1, 0);";
            await cmd.ExecuteNonQueryAsync();
        }
        var ms = new List<double>();
        for (var i = 0; i < 200; i++)
        {
            var t = Stopwatch.GetTimestamp();
            await using var c = await db.OpenAsync();
            await using var cmd = c.CreateCommand();
            cmd.CommandText = "UPDATE bench_probe SET n = n + 1 WHERE id = 1 AND n = " + i;
            if (await cmd.ExecuteNonQueryAsync() != 1) throw new InvalidOperationException("probe CAS lost");
            ms.Add(Ms(Stopwatch.GetTimestamp() - t));
        }
        return SshBench.Of(ms);
    }

    private static async Task<IHost> StartHostAsync(string dataDir, string catalogPath, BenchSink sink)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["MistralConsole:DataDirectory"] = dataDir,
            ["MistralConsole:Engine:CatalogPath"] = catalogPath,
            ["MistralConsole:Engine:ChecksAfterDeployment"] = "false",
            ["MistralConsole:Ssh:RuntimeRoot"] = dataDir,
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddMistralConsoleCore(builder.Configuration);
        builder.Services.AddSingleton<IDeploymentEventSink>(sink);
        builder.Services.AddDeploymentEngine(builder.Configuration);
        var host = builder.Build();
        await host.Services.GetRequiredService<Migrator>().MigrateAsync();
        await host.StartAsync();
        return host;
    }
}

/// <summary>Keeps no events: only the end of each deployment and how many tasks ran at once.</summary>
public sealed class BenchSink : IDeploymentEventSink
{
    private readonly ConcurrentDictionary<long, TaskCompletionSource<DeploymentInfo>> _finished = new();
    private readonly Dictionary<long, long> _running = []; // run id → node id
    private readonly Dictionary<long, int> _perNode = [];
    private readonly object _gate = new();

    public int MaxTotal { get; private set; }
    public int MaxPerNode { get; private set; }

    public Task<DeploymentInfo> Finished(long id) => _finished.GetOrAdd(id, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public void Reset()
    {
        lock (_gate) { _running.Clear(); _perNode.Clear(); MaxTotal = 0; MaxPerNode = 0; }
    }

    public void DeploymentChanged(DeploymentInfo d)
    {
        if (d.Status is DeploymentStatus.Succeeded or DeploymentStatus.Failed or DeploymentStatus.Stopped)
            _finished.GetOrAdd(d.Id, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(d);
    }

    public void TaskRunChanged(TaskRun run)
    {
        lock (_gate)
        {
            if (run.Status == TaskRunStatus.Running && _running.TryAdd(run.Id, run.NodeId))
            {
                var n = _perNode[run.NodeId] = _perNode.GetValueOrDefault(run.NodeId) + 1;
                MaxPerNode = Math.Max(MaxPerNode, n);
                MaxTotal = Math.Max(MaxTotal, _running.Count);
            }
            else if (run.Status != TaskRunStatus.Running && _running.Remove(run.Id, out var node))
                _perNode[node]--;
        }
    }

    public void LogLines(long deploymentId, IReadOnlyList<LogLine> lines) { }
}
