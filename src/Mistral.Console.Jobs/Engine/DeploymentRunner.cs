using Microsoft.Extensions.Logging;
using Mistral.Console.Core.Catalog;
using Mistral.Console.Core.Deployments;
using Mistral.Console.Core.Environments;
using Mistral.Console.Core.Execution;
using Mistral.Console.Core.Graph;
using Mistral.Console.Core.Settings;
using Mistral.Console.Jobs.Logs;

namespace Mistral.Console.Jobs.Engine;

/// <summary>
/// Drives one deployment: walks its graph, starts every task as soon as what it waits for has
/// succeeded (event-driven: a finished task wakes the loop at once), records each outcome with a
/// compare-and-set, and ends the deployment. Safe to run twice: finished attempts are never run
/// again, and attempts left "running" by a dead process are closed as errors and re-run (tasks
/// are idempotent). Only one runner drives a deployment at a time (one Quartz job per deployment,
/// no concurrent execution).
/// </summary>
public sealed class DeploymentRunner(
    DeploymentStore deployments,
    LogStore logs,
    IEnvironmentStore environments,
    ICommandRunner commands,
    IHostKeyScanner hostKeys,
    IDeploymentEventSink events,
    DeploymentSignals signals,
    Health.HealthChecks checks,
    EngineOptions options,
    TimeProvider clock,
    ILogger<DeploymentRunner> logger)
{
    private sealed record Outcome(TaskRun Run, TaskRunStatus Status, int? ExitCode, string? Message);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, SemaphoreSlim> _scanGates = new();

    /// <param name="shutdown">Canceled when the dashboard shuts down: running tasks are killed but
    /// stay recorded as running, so the next start re-runs them.</param>
    public async Task RunAsync(long deploymentId, CancellationToken shutdown)
    {
        var deployment = await deployments.GetAsync(deploymentId, shutdown);
        if (deployment is null || !deployment.Status.IsActive()) return;
        if (deployment.Status == DeploymentStatus.Pending &&
            await deployments.TryMoveAsync(deploymentId, DeploymentStatus.Pending, DeploymentStatus.Running, null, shutdown))
            deployment = await deployments.GetAsync(deploymentId, shutdown) ?? deployment;
        events.DeploymentChanged(deployment);

        var snapshot = await EnvironmentSnapshot.LoadAsync(environments, deployment.EnvironmentId, shutdown);
        if (snapshot is null) { await FinishAsync(deploymentId, DeploymentStatus.Failed, "The environment no longer exists."); return; }

        var signal = signals.For(deploymentId);
        await using var log = new DeploymentLog(deploymentId, await logs.MaxSeqAsync(deploymentId, shutdown), logs, events, snapshot.Masker, clock, logger);
        try
        {
            var catalog = CatalogLoader.Parse(await deployments.GetCatalogYamlAsync(deploymentId, shutdown) ?? "", deployment.CatalogName);
            DeploymentGraph graph;
            try
            {
                graph = DeploymentGraph.Build(catalog, snapshot.Nodes, deployment.OnlyTasks, deployment.OnlyNodes);
            }
            catch (GraphException e)
            {
                log.System(null, "The deployment cannot be planned any more: " + e.Message);
                await FinishAsync(deploymentId, DeploymentStatus.Failed, e.Message);
                return;
            }
            var state = new RunState(graph, await deployments.ListRunsAsync(deploymentId, shutdown));
            await RecoverInterruptedAsync(state, log, shutdown);
            await LoopAsync(deployment, snapshot, catalog, state, log, signal, shutdown);
        }
        finally
        {
            signals.Forget(deploymentId);
        }
    }

    // Attempts still "running" belong to a process that died: close them as errors, and queue a new
    // attempt for each idempotent task. A task declared not idempotent waits for an admin's re-run.
    private async Task RecoverInterruptedAsync(RunState state, DeploymentLog log, CancellationToken ct)
    {
        var interrupted = state.Latest.Values.Where(r => r.Status == TaskRunStatus.Running).ToList();
        if (interrupted.Count == 0) return;
        foreach (var r in interrupted)
        {
            var again = state.Graph.Contains(r.Key) && state.Graph[r.Key].Task.Idempotent;
            var message = again
                ? "Interrupted: the dashboard stopped while this task ran; it runs again."
                : "Interrupted: the dashboard stopped while this task ran; it is not idempotent, so it waits for a re-run.";
            await deployments.TryMoveRunAsync(r.Id, TaskRunStatus.Running, TaskRunStatus.Error, null, message, ct);
            log.System(r, $"{r.TaskId} on {r.NodeName}: {message}");
        }
        var rerun = interrupted.Where(r => state.Graph.Contains(r.Key) && state.Graph[r.Key].Task.Idempotent).ToList();
        if (rerun.Count > 0) await deployments.AddAttemptsAsync(state.DeploymentId, rerun, ct);
        state.Reload(await deployments.ListRunsAsync(state.DeploymentId, ct));
        foreach (var r in state.Latest.Values.Where(r => interrupted.Any(i => i.Key == r.Key))) events.TaskRunChanged(r);
    }

    private async Task LoopAsync(DeploymentInfo deployment, EnvironmentSnapshot snapshot, TaskCatalog catalog, RunState state,
        DeploymentLog log, SemaphoreSlim signal, CancellationToken shutdown)
    {
        var id = deployment.Id;
        var active = new Dictionary<Task<Outcome>, CancellationTokenSource>();
        var pinned = snapshot.Nodes.ToDictionary(n => n.Id, n => n.HostKey);
        DateTimeOffset? stopSeenAt = null;
        var nextStatusCheck = DateTimeOffset.MinValue;
        Task<bool>? wake = null; // kept across iterations so no signal is consumed by a forgotten waiter
        try
        {
            while (true)
            {
                // 1. A stop asked here wakes us through the signal; one asked on another instance is seen at the periodic check.
                if (stopSeenAt is null && clock.GetUtcNow() >= nextStatusCheck)
                {
                    nextStatusCheck = clock.GetUtcNow() + options.StatusCheckInterval;
                    var current = await deployments.GetAsync(id, shutdown);
                    if (current?.Status == DeploymentStatus.Stopping)
                    {
                        stopSeenAt = clock.GetUtcNow();
                        log.System(null, active.Count == 0 ? "Stop requested." : $"Stop requested: no new task starts; {active.Count} running task(s) get {options.StopGracePeriod.TotalSeconds:0} s to finish.");
                    }
                    else if (current is null || !current.Status.IsActive()) return;
                }
                if (stopSeenAt is not null)
                {
                    if (active.Count == 0)
                    {
                        await FinishAsync(id, DeploymentStatus.Stopped, "Stopped by a user; Deploy resumes it.", [DeploymentStatus.Stopping]);
                        log.System(null, "Deployment stopped.");
                        return;
                    }
                    if (clock.GetUtcNow() - stopSeenAt >= options.StopGracePeriod)
                        foreach (var cts in active.Values) cts.Cancel();
                }
                else
                {
                    // 2. Vertices that can no longer run are skipped (topological order: the skip cascades in one pass).
                    foreach (var v in state.Graph.Vertices)
                    {
                        if (!state.Latest.TryGetValue(v.Key, out var run) || run.Status != TaskRunStatus.Pending) continue;
                        if (state.Blocker(v) is { } blocker)
                            await MoveAsync(state, run, TaskRunStatus.Skipped, null, $"Not run: {blocker}", log);
                    }
                    // 3. Start what is ready, within each task's strategy limit.
                    foreach (var v in state.Graph.Vertices)
                    {
                        if (!state.Latest.TryGetValue(v.Key, out var run) || run.Status != TaskRunStatus.Pending || !state.IsReady(v)) continue;
                        if (v.Task.Strategy.Limit is { } limit && state.RunningCount(v.Task.Id) >= limit) continue;
                        if (!await MoveAsync(state, run, TaskRunStatus.Running, null, null, log)) continue;
                        var cts = CancellationTokenSource.CreateLinkedTokenSource(shutdown);
                        var started = state.Latest[v.Key];
                        active[Task.Run(() => ExecuteAsync(started, v, snapshot, pinned, catalog, log, cts.Token))] = cts;
                    }
                }

                // 4. Nothing running and nothing could start: the deployment is over.
                if (active.Count == 0)
                {
                    if (stopSeenAt is not null) continue;
                    var latest = state.Latest.Values.ToList();
                    var ok = latest.Count(r => r.Status == TaskRunStatus.Succeeded);
                    var status = ok == latest.Count ? DeploymentStatus.Succeeded : DeploymentStatus.Failed;
                    var summary = status == DeploymentStatus.Succeeded
                        ? $"All {ok} task(s) succeeded."
                        : $"{ok} of {latest.Count} task(s) succeeded; " + string.Join(", ", latest.Where(r => r.Status != TaskRunStatus.Succeeded)
                            .GroupBy(r => r.Status).Select(g => $"{g.Count()} {g.Key.Wire()}")) + ".";
                    await FinishAsync(id, status, summary, [DeploymentStatus.Running, DeploymentStatus.Stopping]);
                    log.System(null, $"Deployment {status.Wire()}: {summary}");
                    if (status == DeploymentStatus.Succeeded && options.ChecksAfterDeployment)
                        await RunChecksAsync(deployment, log, shutdown);
                    return;
                }

                // 5. Sleep until a task ends, a signal arrives, or the next status check is due.
                if (wake is null || wake.IsCompleted) wake = signal.WaitAsync(options.StatusCheckInterval, shutdown);
                await Task.WhenAny(active.Keys.Append<Task>(wake));
                if (shutdown.IsCancellationRequested) return; // running attempts stay "running": the next start re-runs them
                foreach (var done in active.Keys.Where(t => t.IsCompleted).ToList())
                {
                    active.Remove(done, out var cts);
                    cts!.Dispose();
                    var o = await done;
                    await MoveAsync(state, o.Run, o.Status, o.ExitCode, o.Message, log);
                    var task = state.Graph[o.Run.Key].Task;
                    if (o.Status is TaskRunStatus.Failed or TaskRunStatus.Error && o.Run.Attempt <= task.Retries && stopSeenAt is null)
                    {
                        log.System(o.Run, $"{o.Run.TaskId} on {o.Run.NodeName}: retrying ({o.Run.Attempt} of {task.Retries} retries).");
                        await deployments.AddAttemptsAsync(id, [state.Latest[o.Run.Key]], shutdown);
                        state.Reload(await deployments.ListRunsAsync(id, shutdown));
                        events.TaskRunChanged(state.Latest[o.Run.Key]);
                    }
                }
            }
        }
        finally
        {
            if (active.Count > 0)
            {
                foreach (var cts in active.Values) cts.Cancel();
                await Task.WhenAll(active.Keys.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
            }
        }
    }

    private async Task<Outcome> ExecuteAsync(TaskRun run, GraphVertex v, EnvironmentSnapshot snapshot, Dictionary<long, string?> pinned,
        TaskCatalog catalog, DeploymentLog log, CancellationToken ct)
    {
        var node = v.Node;
        log.System(run, $"{run.TaskId} on {node.Name}: started (attempt {run.Attempt}).");
        try
        {
            if (snapshot.Keys.GetValueOrDefault(node.Id) is null)
                return new Outcome(run, TaskRunStatus.Error, null, $"Node '{node.Name}' has no SSH key, and the environment has none either.");
            var hostKey = await PinnedHostKeyAsync(node, pinned, log, run, ct);
            if (hostKey is null)
                return new Outcome(run, TaskRunStatus.Error, null, $"Node '{node.Name}' ({node.Address}:{node.SshPort}) did not offer an SSH host key: unreachable.");
            var script = ScriptRenderer.Render(catalog, v.Task, ScriptRenderer.Variables(snapshot.Environment, snapshot.Nodes, snapshot.Settings, node, run.DeploymentId));
            var target = snapshot.Target(node, hostKey)!;
            var result = await commands.RunAsync(target, script, line =>
                log.Write(run, line.Stream == OutputStream.Stdout ? LogStream.Out : LogStream.Err, line.Text, line.At), v.Task.Timeout, ct);
            var outcome = result.Outcome switch
            {
                CommandOutcome.Exited when result.ExitCode == 0 => new Outcome(run, TaskRunStatus.Succeeded, 0, null),
                CommandOutcome.Exited => new Outcome(run, TaskRunStatus.Failed, result.ExitCode, $"Exited with status {result.ExitCode}."),
                CommandOutcome.Canceled => new Outcome(run, TaskRunStatus.Canceled, null, "Killed after the stop grace period."),
                CommandOutcome.TimedOut => new Outcome(run, TaskRunStatus.Error, null, result.Error ?? $"Timed out after {v.Task.Timeout.TotalSeconds:0} s."),
                _ => new Outcome(run, TaskRunStatus.Error, null, result.Error ?? result.Outcome.ToString()),
            };
            log.System(run, $"{run.TaskId} on {node.Name}: {outcome.Status.Wire()} after {result.Duration.TotalSeconds:0.0} s" +
                (outcome.Message is null ? "." : $" — {outcome.Message}"));
            return outcome;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return new Outcome(run, TaskRunStatus.Canceled, null, "Canceled.");
        }
        catch (Exception e)
        {
            logger.LogError(e, "Task {TaskId} on node {NodeId} of deployment {DeploymentId} could not run", run.TaskId, run.NodeId, run.DeploymentId);
            return new Outcome(run, TaskRunStatus.Error, null, "Could not run: " + e.Message);
        }
    }

    /// <summary>
    /// The node's pinned host key. On first contact the key is fetched, recorded and shown in the
    /// log with its fingerprint (trust on first use); afterwards a different key is refused by ssh.
    /// </summary>
    private async Task<string?> PinnedHostKeyAsync(Node node, Dictionary<long, string?> pinned, DeploymentLog log, TaskRun run, CancellationToken ct)
    {
        lock (pinned) if (pinned[node.Id] is { } known) return known;
        // Tasks on a new node start together: one scan per node, the others wait for its answer.
        var gate = _scanGates.GetOrAdd(node.Id, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            lock (pinned) if (pinned[node.Id] is { } known) return known;
            HostKey? key = null;
            // A busy sshd drops unauthenticated connections at random (MaxStartups): try a few times.
            for (var attempt = 1; key is null && attempt <= 3; attempt++)
            {
                if (attempt > 1) await Task.Delay(TimeSpan.FromSeconds(attempt), ct);
                var offered = await hostKeys.ScanAsync(node.Address, node.SshPort, ct);
                key = offered.FirstOrDefault(k => k.Algorithm == "ssh-ed25519") ?? offered.FirstOrDefault();
            }
            if (key is null) return null;
            await environments.SetHostKeyAsync(node.Id, key.Line, key.Fingerprint, ct);
            lock (pinned) pinned[node.Id] = key.Line;
            log.System(run, $"Host key of {node.Name} accepted on first contact and pinned: {key.Algorithm} {key.Fingerprint}");
            return key.Line;
        }
        finally
        {
            gate.Release();
        }
    }

    // The acceptance checks run after every successful deployment; their outcome is reported,
    // not folded into the deployment's status (a red check is news about the cloud, not the run).
    private async Task RunChecksAsync(DeploymentInfo deployment, DeploymentLog log, CancellationToken ct)
    {
        log.System(null, "Running the acceptance checks…");
        try
        {
            var runId = await checks.RunAsync(deployment.EnvironmentId, deployment.Id, $"deployment #{deployment.Id}", ct);
            if (runId is null) return;
            var failed = (await checks.ResultsAsync(runId.Value, ct)).Where(r => !r.Passed).ToList();
            log.System(null, failed.Count == 0
                ? "All acceptance checks passed."
                : $"{failed.Count} acceptance check(s) failed: " + string.Join("; ", failed.Select(f => $"{f.CheckId} on {f.NodeName}: {f.Message}")));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Acceptance checks after deployment {DeploymentId} failed to run", deployment.Id);
            log.System(null, "The acceptance checks could not run: " + e.Message);
        }
    }

    private async Task<bool> MoveAsync(RunState state, TaskRun run, TaskRunStatus to, int? exitCode, string? message, DeploymentLog log)
    {
        if (!await deployments.TryMoveRunAsync(run.Id, run.Status, to, exitCode, message, CancellationToken.None))
        {
            log.System(run, $"{run.TaskId} on {run.NodeName}: state changed elsewhere; not moving it to {to.Wire()}.");
            return false;
        }
        var now = clock.GetUtcNow();
        var moved = run with
        {
            Status = to, ExitCode = exitCode, Message = message,
            StartedAt = to == TaskRunStatus.Running ? now : run.StartedAt,
            FinishedAt = to.IsFinished() ? now : run.FinishedAt,
        };
        state.Set(moved);
        events.TaskRunChanged(moved);
        return true;
    }

    private async Task FinishAsync(long id, DeploymentStatus status, string message, DeploymentStatus[]? from = null)
    {
        if (await deployments.TryMoveAsync(id, from ?? [DeploymentStatus.Running, DeploymentStatus.Pending, DeploymentStatus.Stopping], status, message, CancellationToken.None)
            && await deployments.GetAsync(id, CancellationToken.None) is { } d)
            events.DeploymentChanged(d);
    }

    /// <summary>The runner's view of the latest attempt of each vertex; only the runner changes it while it runs.</summary>
    private sealed class RunState(DeploymentGraph graph, IReadOnlyList<TaskRun> runs)
    {
        public DeploymentGraph Graph { get; } = graph;
        public Dictionary<TaskKey, TaskRun> Latest { get; private set; } = LatestOf(runs);
        public long DeploymentId { get; } = runs.FirstOrDefault()?.DeploymentId ?? 0;

        public void Reload(IReadOnlyList<TaskRun> all) => Latest = LatestOf(all);
        public void Set(TaskRun run) => Latest[run.Key] = run;
        public int RunningCount(string taskId) => Latest.Values.Count(r => r.TaskId == taskId && r.Status == TaskRunStatus.Running);

        // A dependency that is not planned in this deployment (a subset or re-run) counts as satisfied.
        private TaskRunStatus? StatusOf(TaskKey k) => Latest.TryGetValue(k, out var r) ? r.Status : null;

        public bool IsReady(GraphVertex v) => v.WaitsFor.All(g =>
            g.Policy == Core.Catalog.DependencyPolicy.All
                ? g.Keys.All(k => StatusOf(k) is null or TaskRunStatus.Succeeded)
                : g.Keys.Any(k => StatusOf(k) is null or TaskRunStatus.Succeeded));

        /// <summary>Why the vertex can never start in this deployment, or null.</summary>
        public string? Blocker(GraphVertex v)
        {
            foreach (var g in v.WaitsFor)
            {
                var failed = g.Keys.Where(k => StatusOf(k) is { } s && s.IsUnsuccessful()).ToList();
                var blocked = g.Policy == Core.Catalog.DependencyPolicy.All ? failed.Count > 0 : failed.Count == g.Keys.Count;
                if (blocked)
                {
                    var f = Latest[failed[0]];
                    return $"waits for {f.TaskId} on {f.NodeName}, which is {f.Status.Wire()}.";
                }
            }
            return null;
        }

        private static Dictionary<TaskKey, TaskRun> LatestOf(IEnumerable<TaskRun> runs) =>
            runs.Latest().ToDictionary(r => r.Key);
    }
}
