using System.Collections.Concurrent;
using System.Globalization;
using Mistral.Console.Core.Deployments;
using Mistral.Console.Core.Environments;
using Mistral.Console.Core.Graph;
using Mistral.Console.Jobs.Engine;

namespace Mistral.Console.Web.Deployments;

/// <summary>Finished/all tasks of a deployment or one node, split by outcome for a stacked bar.</summary>
public sealed record Progress(string Label, long? NodeId, int Total, int Succeeded, int Failed, int Skipped, int Running)
{
    public int Finished => Succeeded + Failed + Skipped;

    public static Progress Of(string label, long? nodeId, IEnumerable<TaskRun> latest)
    {
        int total = 0, ok = 0, failed = 0, skipped = 0, running = 0;
        foreach (var r in latest)
        {
            total++;
            switch (r.Status)
            {
                case TaskRunStatus.Succeeded: ok++; break;
                case TaskRunStatus.Failed or TaskRunStatus.Error: failed++; break;
                case TaskRunStatus.Skipped or TaskRunStatus.Canceled: skipped++; break;
                case TaskRunStatus.Running: running++; break;
            }
        }
        return new(label, nodeId, total, ok, failed, skipped, running);
    }

    /// <summary>The bar's segments in order: (css class, x, width) in percent of the bar.</summary>
    public IEnumerable<(string Css, string X, string Width)> Segments()
    {
        if (Total == 0) yield break;
        double x = 0;
        foreach (var (css, n) in new[] { ("seg-succeeded", Succeeded), ("seg-failed", Failed), ("seg-skipped", Skipped), ("seg-running", Running) })
        {
            if (n == 0) continue;
            var w = 100.0 * n / Total;
            yield return (css, Svg.N(x), Svg.N(w));
            x += w;
        }
    }

    /// <summary>The outcome colour of the whole bar.</summary>
    public string Outcome => Failed > 0 ? "failed" : Running > 0 ? "running" : Total > 0 && Succeeded == Total ? "succeeded" : Skipped > 0 ? "skipped" : "pending";
}

/// <summary>The latest attempt of one task on one node, with the attempts before it.</summary>
public sealed record TaskRow(TaskRun Latest, IReadOnlyList<TaskRun> Earlier);

/// <summary>Everything the deployment page's live part shows; loaded at once, rendered many times.</summary>
public sealed class DeploymentView
{
    public required DeploymentInfo Deployment { get; init; }
    public required string EnvironmentName { get; init; }
    public required IReadOnlyList<TaskRun> Runs { get; init; }
    public required IReadOnlyList<TaskRow> Rows { get; init; }
    public required Progress Overall { get; init; }
    public required IReadOnlyList<Progress> Nodes { get; init; }
    public required Timeline Timeline { get; init; }
    public GraphPicture? Graph { get; init; }
    public string? GraphProblem { get; init; }
    public required DateTimeOffset Now { get; init; }

    public bool IsActive => Deployment.Status.IsActive();
    public bool CanStop => Deployment.Status is DeploymentStatus.Pending or DeploymentStatus.Running;
    public bool CanResume => Deployment.Status == DeploymentStatus.Stopped;
    public bool CanRerun => !IsActive;
    public bool HasUnsuccessful => Rows.Any(r => r.Latest.Status.IsUnsuccessful());

    public TimeSpan? Duration => Deployment.StartedAt is { } s ? (Deployment.FinishedAt ?? Now) - s : null;
}

/// <summary>Loads deployment views through the engine's stores (pages never see a connection).</summary>
public sealed class DeploymentViews(DeploymentStore store, DeploymentCommands commands, IEnvironmentStore environments, TimeProvider clock, ILogger<DeploymentViews> logger)
{
    // The graph depends on the stored catalog and the environment's nodes, not on progress: keep it
    // a little while so the live part (re-rendered up to 4 times a second) does not re-parse YAML.
    private static readonly TimeSpan GraphLifetime = TimeSpan.FromSeconds(15);
    private readonly ConcurrentDictionary<long, (DeploymentGraph? Graph, string? Problem, DateTimeOffset At)> _graphs = new();

    public async Task<DeploymentView?> LoadAsync(long id, CancellationToken ct)
    {
        var d = await store.GetAsync(id, ct);
        if (d is null) return null;
        var env = await environments.GetAsync(d.EnvironmentId, ct);
        var runs = await store.ListRunsAsync(id, ct);
        var (graph, problem) = await GraphAsync(id, ct);
        var now = clock.GetUtcNow();

        var byKey = runs.GroupBy(r => r.Key).ToDictionary(g => g.Key, g => g.OrderBy(r => r.Attempt).ToList());
        // Rows in the graph's order (dependencies first), then anything the graph no longer has.
        var order = graph?.Vertices.Select((v, i) => (v.Key, i)).ToDictionary(x => x.Key, x => x.i) ?? [];
        var rows = byKey.Values
            .Select(list => new TaskRow(list[^1], list.Take(list.Count - 1).ToList()))
            .OrderBy(r => order.TryGetValue(r.Latest.Key, out var i) ? i : int.MaxValue)
            .ThenBy(r => r.Latest.Id)
            .ToList();
        var latest = rows.Select(r => r.Latest).ToList();
        var nodes = latest.GroupBy(r => r.NodeId).OrderBy(g => g.Key)
            .Select(g => Progress.Of(g.First().NodeName, g.Key, g)).ToList();

        return new DeploymentView
        {
            Deployment = d,
            EnvironmentName = env?.Name ?? $"environment {d.EnvironmentId}",
            Runs = runs,
            Rows = rows,
            Overall = Progress.Of("All nodes", null, latest),
            Nodes = nodes,
            Timeline = Timeline.Build(runs, now),
            Graph = graph is null ? null : GraphPicture.Build(graph, latest.ToDictionary(r => r.Key, r => r.Status)),
            GraphProblem = problem,
            Now = now,
        };
    }

    private async Task<(DeploymentGraph?, string?)> GraphAsync(long id, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (_graphs.TryGetValue(id, out var cached) && now - cached.At < GraphLifetime) return (cached.Graph, cached.Problem);
        DeploymentGraph? graph = null;
        string? problem = null;
        try
        {
            graph = await commands.GraphAsync(id, ct);
        }
        catch (Exception e) when (e is GraphException or Core.Catalog.CatalogException or InvalidOperationException or KeyNotFoundException)
        {
            // The environment changed since (a node removed): the table and timeline still show every attempt.
            logger.LogInformation("The graph of deployment {DeploymentId} cannot be drawn: {Problem}", id, e.Message);
            problem = e.Message;
        }
        if (_graphs.Count > 256) _graphs.Clear();
        _graphs[id] = (graph, problem, now);
        return (graph, problem);
    }
}

/// <summary>Formatting shared by the deployment pages.</summary>
public static class Show
{
    public static string Badge(string status) => status switch
    {
        "succeeded" or "passed" => "text-bg-success",
        "failed" or "error" => "text-bg-danger",
        "running" => "text-bg-primary",
        "stopping" or "stopped" => "text-bg-warning",
        "canceled" => "text-bg-dark",
        "skipped" => "text-bg-light border",
        _ => "text-bg-secondary",
    };

    public static string Duration(TimeSpan? d)
    {
        if (d is not { } t) return "";
        if (t < TimeSpan.Zero) t = TimeSpan.Zero;
        if (t.TotalSeconds < 60) return t.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s";
        if (t.TotalHours < 1) return $"{(int)t.TotalMinutes}m {t.Seconds:00}s";
        return $"{(int)t.TotalHours}h {t.Minutes:00}m";
    }

    public static string Time(DateTimeOffset? t) => t?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + (t is null ? "" : " UTC");
    public static string Clock(DateTimeOffset? t) => t?.UtcDateTime.ToString("HH:mm:ss", CultureInfo.InvariantCulture) ?? "";
}
