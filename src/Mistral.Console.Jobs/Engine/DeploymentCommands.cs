using Mistral.Console.Core.Catalog;
using Mistral.Console.Core.Deployments;
using Mistral.Console.Core.Environments;
using Mistral.Console.Core.Graph;
using Mistral.Console.Core.Validation;

namespace Mistral.Console.Jobs.Engine;

/// <summary>Schedules a deployment's job; implemented with Quartz.</summary>
public interface IDeploymentScheduler
{
    Task ScheduleAsync(long deploymentId, CancellationToken ct);
}

public sealed record DryRunPlan(IReadOnlyList<DryRunNode> Nodes, string Dot);
public sealed record DryRunNode(long NodeId, string NodeName, IReadOnlyList<string> Roles, IReadOnlyList<DryRunTask> Tasks);
public sealed record DryRunTask(string TaskId, string Description, IReadOnlyList<string> WaitsFor, int TimeoutSeconds);

/// <summary>
/// Starting, stopping, resuming and re-running deployments. Each is a state change guarded by a
/// compare-and-set; the unique "one active deployment" index turns a race into a clear 409.
/// </summary>
public sealed class DeploymentCommands(
    EnvironmentCommands environmentCommands,
    IEnvironmentStore environments,
    DeploymentStore deployments,
    CatalogProvider catalogs,
    IDeploymentScheduler scheduler,
    DeploymentSignals signals,
    IDeploymentEventSink events)
{
    /// <summary>
    /// Deploys the environment. When its latest deployment was stopped (and no subset is asked),
    /// that deployment resumes instead: finished tasks are not run again.
    /// </summary>
    /// <returns>The deployment id, or null when the environment does not exist.</returns>
    public async Task<long?> StartAsync(long environmentId, string user, IReadOnlyList<string>? tasks, IReadOnlyList<long>? nodes, CancellationToken ct)
    {
        var report = await environmentCommands.ValidateEnvironmentAsync(environmentId, ct);
        if (report is null) return null;
        if (!report.IsValid) throw new ValidationFailedException(report);

        var latest = (await deployments.ListAsync(environmentId, 1, null, ct)).FirstOrDefault();
        if (latest?.Status.IsActive() == true)
            throw new DeploymentConflictException($"Deployment #{latest.Id} of this environment is still {latest.Status.Wire()}; stop it or wait for it to finish.");
        if (latest?.Status == DeploymentStatus.Stopped && tasks is null && nodes is null)
        {
            await ResumeAsync(latest.Id, ct);
            return latest.Id;
        }

        var (catalog, yaml) = catalogs.Current();
        var graph = Plan(catalog, await environments.ListNodesAsync(environmentId, ct), tasks, nodes);
        var id = await deployments.CreateAsync(environmentId, user, catalog.Name, yaml, tasks, nodes,
            graph.Vertices.Select(v => (v.Key, v.Node.Name)), ct);
        await scheduler.ScheduleAsync(id, ct);
        await AnnounceAsync(id, ct);
        return id;
    }

    /// <summary>The ordered plan per node, touching nothing.</summary>
    public async Task<DryRunPlan?> DryRunAsync(long environmentId, IReadOnlyList<string>? tasks, IReadOnlyList<long>? nodes, CancellationToken ct)
    {
        if (await environments.GetAsync(environmentId, ct) is null) return null;
        var graph = Plan(catalogs.Current().Catalog, await environments.ListNodesAsync(environmentId, ct), tasks, nodes);
        return new DryRunPlan(
            graph.PlanByNode().Select(p => new DryRunNode(p.Node.Id, p.Node.Name, p.Node.Roles, p.Tasks.Select(v => new DryRunTask(
                v.Task.Id, v.Task.Description,
                v.WaitsFor.SelectMany(g => g.Keys).Select(k => $"{k.TaskId}@{graph[k].Node.Name}").ToList(),
                (int)v.Task.Timeout.TotalSeconds)).ToList())).ToList(),
            graph.ToDot());
    }

    /// <summary>The graph a stored deployment runs (its own catalog, today's nodes).</summary>
    public async Task<DeploymentGraph?> GraphAsync(long deploymentId, CancellationToken ct)
    {
        var d = await deployments.GetAsync(deploymentId, ct);
        if (d is null) return null;
        var catalog = CatalogLoader.Parse(await deployments.GetCatalogYamlAsync(deploymentId, ct) ?? "", d.CatalogName);
        return DeploymentGraph.Build(catalog, await environments.ListNodesAsync(d.EnvironmentId, ct), d.OnlyTasks, d.OnlyNodes);
    }

    /// <summary>Graceful stop: no new task starts; running ones finish or are killed after the grace period.</summary>
    public async Task<bool?> StopAsync(long deploymentId, CancellationToken ct)
    {
        var d = await deployments.GetAsync(deploymentId, ct);
        if (d is null) return null;
        if (d.Status == DeploymentStatus.Stopping) return true;
        // A pending deployment has no running task: it stops at once when its job starts.
        if (!await deployments.TryMoveAsync(deploymentId, [DeploymentStatus.Running, DeploymentStatus.Pending], DeploymentStatus.Stopping, "Stop requested.", ct))
            return false;
        signals.Wake(deploymentId);
        await AnnounceAsync(deploymentId, ct);
        return true;
    }

    /// <summary>Continues a stopped deployment: attempts that were canceled or never ran go again.</summary>
    public async Task<bool?> ResumeAsync(long deploymentId, CancellationToken ct)
    {
        var d = await deployments.GetAsync(deploymentId, ct);
        if (d is null) return null;
        if (d.Status != DeploymentStatus.Stopped) return false;
        var latest = (await deployments.ListRunsAsync(deploymentId, ct)).Latest();
        var again = latest.Where(r => r.Status is TaskRunStatus.Canceled or TaskRunStatus.Skipped).ToList();
        return await ReopenAsync(d, again, [DeploymentStatus.Stopped], "Resumed.", ct);
    }

    /// <summary>A re-run is a new attempt of the chosen vertices in the same deployment; earlier attempts stay as they were.</summary>
    public async Task<bool?> RerunAsync(long deploymentId, RerunScope scope, CancellationToken ct)
    {
        var d = await deployments.GetAsync(deploymentId, ct);
        if (d is null) return null;
        if (d.Status.IsActive())
            throw new DeploymentConflictException($"Deployment #{d.Id} is still {d.Status.Wire()}; re-run when it has finished.");
        var graph = await GraphAsync(deploymentId, ct) ?? throw new GraphException("The deployment cannot be planned.");
        var latest = (await deployments.ListRunsAsync(deploymentId, ct)).Latest().ToDictionary(r => r.Key);
        IReadOnlyCollection<TaskKey> keys;
        try
        {
            keys = scope.Select(graph, latest.ToDictionary(kv => kv.Key, kv => kv.Value.Status));
        }
        catch (GraphException e)
        {
            throw new ValidationFailedException(new ValidationReport().Error("scope", e.Message));
        }
        var again = keys.Where(latest.ContainsKey).Select(k => latest[k]).ToList();
        if (again.Count == 0)
            throw new ValidationFailedException(new ValidationReport().Error("scope", "Nothing to re-run: no task in this scope failed."));
        return await ReopenAsync(d, again, [DeploymentStatus.Succeeded, DeploymentStatus.Failed, DeploymentStatus.Stopped],
            $"Re-run ({scope.Kind.ToString().ToLowerInvariant()}{(scope.TaskId is null ? "" : " " + scope.TaskId)}): {again.Count} task(s).", ct);
    }

    private async Task<bool> ReopenAsync(DeploymentInfo d, IReadOnlyList<TaskRun> again, DeploymentStatus[] from, string message, CancellationToken ct)
    {
        // Reopen first (the unique index refuses a second active deployment), then add attempts.
        if (!await deployments.TryMoveAsync(d.Id, from, DeploymentStatus.Pending, message, ct)) return false;
        if (again.Count > 0) await deployments.AddAttemptsAsync(d.Id, again, ct);
        await scheduler.ScheduleAsync(d.Id, ct);
        await AnnounceAsync(d.Id, ct);
        return true;
    }

    private static DeploymentGraph Plan(TaskCatalog catalog, IReadOnlyList<Node> nodes, IReadOnlyList<string>? tasks, IReadOnlyList<long>? onlyNodes)
    {
        try
        {
            var graph = DeploymentGraph.Build(catalog, nodes, tasks, onlyNodes);
            if (graph.Vertices.Count == 0) throw new GraphException("Nothing to deploy: no task runs on the chosen nodes.");
            return graph;
        }
        catch (GraphException e)
        {
            throw new ValidationFailedException(new ValidationReport().Error("tasks", e.Message));
        }
    }

    private async Task AnnounceAsync(long id, CancellationToken ct)
    {
        if (await deployments.GetAsync(id, ct) is { } d) events.DeploymentChanged(d);
    }
}
