using System.Globalization;
using Mistral.Console.Core.Deployments;
using Mistral.Console.Core.Graph;
using Mistral.Console.Jobs.Engine;

namespace Mistral.Console.Web.Deployments;

/// <summary>Numbers for SVG attributes (the CSP forbids inline styles, so geometry lives in attributes).</summary>
public static class Svg
{
    public static string N(double v) => Math.Round(v, 2).ToString("0.##", CultureInfo.InvariantCulture);
}

/// <summary>
/// The timeline chart: one lane per node, one bar per attempt from its start to its end (or now),
/// overlapping attempts stacked in sub-rows of the lane.
/// </summary>
public sealed record Timeline(double Width, double Height, IReadOnlyList<Timeline.Lane> Lanes, IReadOnlyList<Timeline.Bar> Bars, IReadOnlyList<Timeline.Tick> Ticks)
{
    public const double LabelWidth = 150, PlotWidth = 850, Row = 16, LanePad = 6, AxisHeight = 22;

    public sealed record Lane(string Name, double Y, double Height);
    public sealed record Bar(double X, double Y, double W, string Status, string Title);
    public sealed record Tick(double X, string Label);

    public bool IsEmpty => Bars.Count == 0;

    public static Timeline Build(IReadOnlyList<TaskRun> runs, DateTimeOffset now)
    {
        var started = runs.Where(r => r.StartedAt is not null).ToList();
        if (started.Count == 0) return new(LabelWidth + PlotWidth, AxisHeight, [], [], []);
        var t0 = started.Min(r => r.StartedAt!.Value);
        var t1 = started.Max(r => r.FinishedAt ?? now);
        var span = Math.Max((t1 - t0).TotalSeconds, 1);
        double X(DateTimeOffset t) => LabelWidth + (t - t0).TotalSeconds / span * PlotWidth;

        var lanes = new List<Lane>();
        var bars = new List<Bar>();
        var y = 0.0;
        foreach (var node in started.GroupBy(r => r.NodeId).OrderBy(g => g.Key))
        {
            var rowEnds = new List<double>();
            foreach (var r in node.OrderBy(r => r.StartedAt))
            {
                var x = X(r.StartedAt!.Value);
                var end = Math.Max(X(r.FinishedAt ?? now), x + 2);
                var row = rowEnds.FindIndex(e => e <= x);
                if (row < 0) { row = rowEnds.Count; rowEnds.Add(end); } else rowEnds[row] = end;
                var status = r.Status.Wire();
                bars.Add(new Bar(x, y + LanePad / 2 + row * Row, end - x, status,
                    $"{r.TaskId} on {r.NodeName}, attempt {r.Attempt}: {status}, {Show.Duration((r.FinishedAt ?? now) - r.StartedAt)}"));
            }
            var height = rowEnds.Count * Row + LanePad;
            lanes.Add(new Lane(node.First().NodeName, y, height));
            y += height;
        }

        var ticks = new List<Tick>();
        var step = new[] { 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400 }.FirstOrDefault(s => span / s <= 8, 28800);
        for (var s = 0; s <= span; s += step)
            ticks.Add(new Tick(LabelWidth + s / span * PlotWidth, s < 60 ? $"+{s}s" : s < 3600 ? $"+{s / 60}m{(s % 60 == 0 ? "" : $"{s % 60}s")}" : $"+{s / 3600}h{(s % 3600 == 0 ? "" : $"{s % 3600 / 60}m")}"));
        return new(LabelWidth + PlotWidth, y + AxisHeight, lanes, bars, ticks);
    }
}

/// <summary>The deployment graph drawn in layers by topological depth, vertices coloured by the latest attempt.</summary>
public sealed record GraphPicture(double Width, double Height, IReadOnlyList<GraphPicture.Box> Boxes, IReadOnlyList<GraphPicture.Edge> Edges)
{
    public const double BoxWidth = 160, BoxHeight = 34, ColumnGap = 50, RowGap = 12, Margin = 8;
    /// <summary>Beyond this many vertices the picture is unreadable anyway; the DOT download remains.</summary>
    public const int MaxVertices = 400;

    public sealed record Box(double X, double Y, string Task, string Node, string Status);
    public sealed record Edge(string Path, bool Any);

    public static GraphPicture? Build(DeploymentGraph graph, IReadOnlyDictionary<TaskKey, TaskRunStatus> latest)
    {
        if (graph.Vertices.Count is 0 or > MaxVertices) return null;
        var depth = new Dictionary<TaskKey, int>();
        foreach (var v in graph.Vertices) // topological: dependencies come first
            depth[v.Key] = v.WaitsFor.SelectMany(g => g.Keys).Where(depth.ContainsKey).Select(k => depth[k] + 1).DefaultIfEmpty(0).Max();
        var place = new Dictionary<TaskKey, (double X, double Y)>();
        var boxes = new List<Box>();
        var maxRows = 0;
        foreach (var layer in graph.Vertices.GroupBy(v => depth[v.Key]).OrderBy(g => g.Key))
        {
            var row = 0;
            foreach (var v in layer.OrderBy(v => v.Node.Id).ThenBy(v => v.Key.TaskId, StringComparer.Ordinal))
            {
                var x = Margin + layer.Key * (BoxWidth + ColumnGap);
                var y = Margin + row++ * (BoxHeight + RowGap);
                place[v.Key] = (x, y);
                boxes.Add(new Box(x, y, v.Key.TaskId, v.Node.Name, latest.TryGetValue(v.Key, out var s) ? s.Wire() : "unplanned"));
            }
            maxRows = Math.Max(maxRows, row);
        }
        var edges = new List<Edge>();
        foreach (var v in graph.Vertices)
            foreach (var g in v.WaitsFor)
                foreach (var k in g.Keys.Where(place.ContainsKey))
                {
                    var (x1, y1) = place[k];
                    var (x2, y2) = place[v.Key];
                    double sx = x1 + BoxWidth, sy = y1 + BoxHeight / 2, ex = x2, ey = y2 + BoxHeight / 2, mx = (sx + ex) / 2;
                    edges.Add(new Edge($"M{Svg.N(sx)},{Svg.N(sy)} C{Svg.N(mx)},{Svg.N(sy)} {Svg.N(mx)},{Svg.N(ey)} {Svg.N(ex - 4)},{Svg.N(ey)}", g.Policy == Core.Catalog.DependencyPolicy.Any));
                }
        var columns = depth.Values.Max() + 1;
        return new GraphPicture(2 * Margin + columns * BoxWidth + (columns - 1) * ColumnGap, 2 * Margin + maxRows * (BoxHeight + RowGap) - RowGap, boxes, edges);
    }

    public static string Clip(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "…";
}
