using Mistral.Console.Core.Graph;

namespace Mistral.Console.Core.Deployments;

public enum RerunKind
{
    /// <summary>Every task whose latest attempt failed, errored, was canceled or skipped.</summary>
    Failed,
    /// <summary>One task on chosen nodes (all its nodes when none are chosen), whatever its state.</summary>
    Task,
    /// <summary>A task (on chosen nodes or all its nodes) and everything that depends on it.</summary>
    From,
}

public sealed record RerunScope(RerunKind Kind, string? TaskId = null, IReadOnlyList<long>? Nodes = null)
{
    /// <summary>The vertices that get a new attempt. A re-run never rewrites an earlier attempt.</summary>
    public IReadOnlyCollection<TaskKey> Select(DeploymentGraph graph, IReadOnlyDictionary<TaskKey, TaskRunStatus> latest)
    {
        if (Kind == RerunKind.Failed)
            return graph.Vertices.Select(v => v.Key).Where(k => latest.TryGetValue(k, out var s) && s.IsUnsuccessful()).ToList();

        if (string.IsNullOrEmpty(TaskId)) throw new GraphException("Choose the task to re-run.");
        var roots = graph.Vertices.Where(v => v.Key.TaskId == TaskId).Select(v => v.Key).ToList();
        if (roots.Count == 0) throw new GraphException($"Task '{TaskId}' is not part of this deployment.");
        if (Nodes is { Count: > 0 })
        {
            var missing = Nodes.Where(n => roots.All(r => r.NodeId != n)).ToList();
            if (missing.Count > 0) throw new GraphException($"Task '{TaskId}' does not run on node(s) {string.Join(", ", missing)}.");
            roots = roots.Where(r => Nodes.Contains(r.NodeId)).ToList();
        }
        return Kind == RerunKind.Task ? roots : roots.SelectMany(graph.Downstream).Distinct().ToList();
    }
}
