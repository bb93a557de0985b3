using System.Text;
using Mistral.Console.Core.Catalog;
using Mistral.Console.Core.Environments;

namespace Mistral.Console.Core.Graph;

/// <summary>One task on one node: a vertex of the deployment graph.</summary>
public readonly record struct TaskKey(string TaskId, long NodeId)
{
    public override string ToString() => $"{TaskId}@{NodeId}";
}

/// <summary>What a vertex waits for: all of <see cref="Keys"/>, or any one of them.</summary>
public sealed record DependencyGroup(DependencyPolicy Policy, IReadOnlyList<TaskKey> Keys);

public sealed record GraphVertex(TaskKey Key, TaskDefinition Task, Node Node, IReadOnlyList<DependencyGroup> WaitsFor);

public sealed class GraphException(string message) : Exception(message);

/// <summary>
/// The catalog expanded over an environment's nodes: one vertex per task and node whose roles
/// match, edges from requires (same node) and cross_depends (other nodes, by role).
/// </summary>
public sealed class DeploymentGraph
{
    private readonly Dictionary<TaskKey, GraphVertex> _vertices;
    private readonly Dictionary<TaskKey, List<TaskKey>> _dependents = [];

    private DeploymentGraph(IReadOnlyList<GraphVertex> vertices)
    {
        Vertices = vertices;
        _vertices = vertices.ToDictionary(v => v.Key);
        foreach (var v in vertices)
            foreach (var dep in v.WaitsFor.SelectMany(g => g.Keys))
                (_dependents.TryGetValue(dep, out var list) ? list : _dependents[dep] = []).Add(v.Key);
    }

    /// <summary>Vertices in a topological order (dependencies first), stable by catalog order then node id.</summary>
    public IReadOnlyList<GraphVertex> Vertices { get; }

    public GraphVertex this[TaskKey key] => _vertices[key];
    public bool Contains(TaskKey key) => _vertices.ContainsKey(key);

    public IReadOnlyList<TaskKey> DependentsOf(TaskKey key) =>
        _dependents.TryGetValue(key, out var list) ? list : [];

    /// <summary>The key and everything that depends on it, transitively.</summary>
    public IReadOnlyCollection<TaskKey> Downstream(TaskKey key)
    {
        var seen = new HashSet<TaskKey> { key };
        var queue = new Queue<TaskKey>([key]);
        while (queue.TryDequeue(out var k))
            foreach (var d in DependentsOf(k))
                if (seen.Add(d)) queue.Enqueue(d);
        return seen;
    }

    /// <summary>
    /// Expands <paramref name="catalog"/> over <paramref name="nodes"/>. With <paramref name="onlyTasks"/> or
    /// <paramref name="onlyNodes"/>, only those vertices are planned and dependencies on vertices left
    /// out are taken as already satisfied (like Fuel's --tasks).
    /// </summary>
    public static DeploymentGraph Build(
        TaskCatalog catalog,
        IReadOnlyCollection<Node> nodes,
        IReadOnlyCollection<string>? onlyTasks = null,
        IReadOnlyCollection<long>? onlyNodes = null)
    {
        foreach (var t in onlyTasks ?? [])
            if (catalog.Find(t) is null) throw new GraphException($"Unknown task '{t}'.");
        foreach (var n in onlyNodes ?? [])
            if (nodes.All(x => x.Id != n)) throw new GraphException($"Unknown node id {n}.");

        var ordered = nodes.OrderBy(n => n.Id).ToList();
        bool Runs(TaskDefinition t, Node n) => t.Roles.Any(n.Has);
        var all = catalog.Tasks.SelectMany(t => ordered.Where(n => Runs(t, n)).Select(n => new TaskKey(t.Id, n.Id))).ToHashSet();
        bool Planned(TaskKey k) =>
            all.Contains(k) && (onlyTasks is null || onlyTasks.Contains(k.TaskId)) && (onlyNodes is null || onlyNodes.Contains(k.NodeId));

        var errors = new List<string>();
        var vertices = new List<GraphVertex>();
        foreach (var task in catalog.Tasks)
        {
            foreach (var node in ordered.Where(n => Planned(new TaskKey(task.Id, n.Id))))
            {
                var groups = new List<DependencyGroup>();
                foreach (var req in task.Requires)
                {
                    // A required task that does not run on this node does not hold it back (Fuel semantics).
                    var k = new TaskKey(req, node.Id);
                    if (Planned(k)) groups.Add(new DependencyGroup(DependencyPolicy.All, [k]));
                }
                foreach (var cross in task.CrossDepends)
                {
                    var target = catalog.Find(cross.Task)!;
                    var candidates = ordered
                        .Where(n => (cross.Role == "*" || n.Has(cross.Role)) && Runs(target, n))
                        .Select(n => new TaskKey(cross.Task, n.Id)).ToList();
                    if (candidates.Count == 0)
                    {
                        errors.Add($"Task '{task.Id}' waits for '{cross.Task}' on {(cross.Role == "*" ? "any node" : $"role '{cross.Role}'")}, but no node runs it there.");
                        continue;
                    }
                    var planned = candidates.Where(Planned).ToList();
                    if (planned.Count > 0) groups.Add(new DependencyGroup(cross.Policy, planned));
                }
                vertices.Add(new GraphVertex(new TaskKey(task.Id, node.Id), task, node, groups));
            }
        }
        if (errors.Count > 0) throw new GraphException(string.Join(" ", errors.Distinct()));
        return new DeploymentGraph(TopologicalOrder(vertices));
    }

    // Kahn's algorithm; the catalog is acyclic at task level, so vertices are too.
    private static List<GraphVertex> TopologicalOrder(List<GraphVertex> vertices)
    {
        var index = vertices.Select((v, i) => (v.Key, i)).ToDictionary(x => x.Key, x => x.i);
        var indegree = vertices.ToDictionary(v => v.Key, v => v.WaitsFor.SelectMany(g => g.Keys).Distinct().Count());
        var dependents = vertices.SelectMany(v => v.WaitsFor.SelectMany(g => g.Keys).Distinct().Select(d => (d, v.Key)))
            .ToLookup(x => x.d, x => x.Key);
        var ready = new PriorityQueue<GraphVertex, int>();
        foreach (var v in vertices.Where(v => indegree[v.Key] == 0)) ready.Enqueue(v, index[v.Key]);
        var result = new List<GraphVertex>(vertices.Count);
        while (ready.TryDequeue(out var v, out _))
        {
            result.Add(v);
            foreach (var d in dependents[v.Key])
                if (--indegree[d] == 0) ready.Enqueue(vertices[index[d]], index[d]);
        }
        if (result.Count != vertices.Count) throw new GraphException("The deployment graph has a cycle.");
        return result;
    }

    /// <summary>The graph in Graphviz DOT, one cluster per node.</summary>
    public string ToDot()
    {
        static string Q(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
        var sb = new StringBuilder("digraph deployment {\n  rankdir=LR;\n  node [shape=box, fontname=\"sans-serif\"];\n");
        foreach (var group in Vertices.GroupBy(v => v.Node.Id))
        {
            var node = group.First().Node;
            sb.Append($"  subgraph cluster_{node.Id} {{\n    label={Q(node.Name)};\n");
            foreach (var v in group) sb.Append($"    {Q(v.Key.ToString())} [label={Q(v.Task.Id)}];\n");
            sb.Append("  }\n");
        }
        foreach (var v in Vertices)
            foreach (var g in v.WaitsFor)
                foreach (var k in g.Keys)
                    sb.Append($"  {Q(k.ToString())} -> {Q(v.Key.ToString())}{(g.Policy == DependencyPolicy.Any ? " [style=dashed]" : "")};\n");
        return sb.Append("}\n").ToString();
    }

    /// <summary>For a dry run: per node, its tasks in the order they can start.</summary>
    public IReadOnlyList<(Node Node, IReadOnlyList<GraphVertex> Tasks)> PlanByNode() =>
        Vertices.GroupBy(v => v.Node.Id).OrderBy(g => g.Key)
            .Select(g => (g.First().Node, (IReadOnlyList<GraphVertex>)g.ToList())).ToList();

    /// <summary>Length of the longest dependency chain in estimated durations (the critical path).</summary>
    public TimeSpan CriticalPath(Func<GraphVertex, TimeSpan> duration)
    {
        var finish = new Dictionary<TaskKey, TimeSpan>();
        foreach (var v in Vertices)
        {
            var start = v.WaitsFor.SelectMany(g => g.Keys).Select(k => finish[k]).DefaultIfEmpty(TimeSpan.Zero).Max();
            finish[v.Key] = start + duration(v);
        }
        return finish.Values.DefaultIfEmpty(TimeSpan.Zero).Max();
    }
}
