using Mistral.Console.Core.Catalog;
using Mistral.Console.Core.Deployments;
using Mistral.Console.Core.Environments;
using Mistral.Console.Core.Graph;
using Mistral.Console.Core.Roles;
using Xunit;

namespace Mistral.Console.Core.Tests.Graph;

public sealed class DeploymentGraphTests
{
    private static readonly TaskCatalog Catalog = CatalogLoader.Parse("""
        tasks:
          - { id: db, roles: [primary-controller], script: x }
          - { id: conf, roles: [controller, mistral], script: x }
          - { id: sync, roles: [primary-controller], requires: [conf], cross_depends: [{ task: db, role: primary-controller }], script: x }
          - { id: api, roles: [controller], requires: [conf], cross_depends: [{ task: sync, role: primary-controller }], script: x }
          - { id: engine, roles: [mistral], requires: [conf], cross_depends: [{ task: sync, role: primary-controller }], script: x }
        """);

    private static Node N(long id, string name, params string[] roles) =>
        new(id, 1, name, $"10.0.0.{id}", 22, "root", roles, false, null, null, null, null, DateTimeOffset.UnixEpoch);

    private static readonly IReadOnlyList<Node> Nodes =
    [
        N(1, "ctl1", Role.Controller, Role.PrimaryController),
        N(2, "ctl2", Role.Controller, Role.Mistral),
        N(3, "mis1", Role.Mistral),
    ];

    [Fact]
    public void Build_ExpandsTasksOverNodesByRole()
    {
        var g = DeploymentGraph.Build(Catalog, Nodes);

        Assert.Equal(
            ["db@1", "conf@1", "conf@2", "conf@3", "sync@1", "api@1", "api@2", "engine@2", "engine@3"],
            g.Vertices.Select(v => v.Key.ToString()).OrderBy(k => Array.IndexOf(["db", "conf", "sync", "api", "engine"], k.Split('@')[0])).ThenBy(k => k));
        var sync = g[new TaskKey("sync", 1)];
        Assert.Contains(sync.WaitsFor, d => d.Keys.SequenceEqual([new TaskKey("conf", 1)]));
        Assert.Contains(sync.WaitsFor, d => d.Keys.SequenceEqual([new TaskKey("db", 1)]));
        var engineOnCtl2 = g[new TaskKey("engine", 2)];
        Assert.Contains(engineOnCtl2.WaitsFor, d => d.Keys.SequenceEqual([new TaskKey("sync", 1)]));
    }

    [Fact]
    public void Vertices_AreInTopologicalOrder()
    {
        var g = DeploymentGraph.Build(Catalog, Nodes);
        var position = g.Vertices.Select((v, i) => (v.Key, i)).ToDictionary(x => x.Key, x => x.i);
        foreach (var v in g.Vertices)
            foreach (var dep in v.WaitsFor.SelectMany(w => w.Keys))
                Assert.True(position[dep] < position[v.Key], $"{dep} must come before {v.Key}");
    }

    [Fact]
    public void Downstream_IsTheTaskAndEverythingAfterIt()
    {
        var g = DeploymentGraph.Build(Catalog, Nodes);
        var down = g.Downstream(new TaskKey("sync", 1)).Select(k => k.ToString()).OrderBy(s => s);
        Assert.Equal(["api@1", "api@2", "engine@2", "engine@3", "sync@1"], down);
    }

    [Fact]
    public void Build_WithSubset_PlansOnlyThoseAndDropsEdgesToTheRest()
    {
        var g = DeploymentGraph.Build(Catalog, Nodes, onlyTasks: ["engine"], onlyNodes: [3]);
        var v = Assert.Single(g.Vertices);
        Assert.Equal(new TaskKey("engine", 3), v.Key);
        Assert.Empty(v.WaitsFor);
    }

    [Fact]
    public void Build_RefusesCrossDependencyThatNoNodeCanSatisfy()
    {
        var e = Assert.Throws<GraphException>(() => DeploymentGraph.Build(Catalog, [N(3, "mis1", Role.Mistral)]));
        Assert.Contains("waits for 'sync' on role 'primary-controller', but no node runs it there", e.Message);
    }

    [Fact]
    public void ToDot_HasAClusterPerNodeAndAnEdgePerDependency()
    {
        var dot = DeploymentGraph.Build(Catalog, Nodes).ToDot();
        Assert.Contains("subgraph cluster_3", dot);
        Assert.Contains("label=\"mis1\"", dot);
        Assert.Contains("\"sync@1\" -> \"engine@3\";", dot);
    }

    [Fact]
    public void CriticalPath_IsTheLongestChain()
    {
        var g = DeploymentGraph.Build(Catalog, Nodes);
        // conf → sync → api/engine: three tasks of 1 s; db runs beside conf.
        Assert.Equal(TimeSpan.FromSeconds(3), g.CriticalPath(_ => TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void RerunScopes_SelectFailedTaskOrDownstream()
    {
        var g = DeploymentGraph.Build(Catalog, Nodes);
        var latest = g.Vertices.ToDictionary(v => v.Key, v => TaskRunStatus.Succeeded);
        latest[new TaskKey("engine", 3)] = TaskRunStatus.Failed;
        latest[new TaskKey("api", 2)] = TaskRunStatus.Error;

        Assert.Equal(["api@2", "engine@3"], new RerunScope(RerunKind.Failed).Select(g, latest).Select(k => k.ToString()).OrderBy(s => s));
        Assert.Equal(["engine@2"], new RerunScope(RerunKind.Task, "engine", [2]).Select(g, latest).Select(k => k.ToString()));
        Assert.Equal(5, new RerunScope(RerunKind.From, "sync").Select(g, latest).Count);
        var e = Assert.Throws<GraphException>(() => new RerunScope(RerunKind.Task, "db", [3]).Select(g, latest));
        Assert.Contains("does not run on node(s) 3", e.Message);
    }
}
