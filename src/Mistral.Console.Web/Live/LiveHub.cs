using System.Collections.Concurrent;
using System.Text;
using System.Text.Encodings.Web;
using System.Threading.Channels;
using Mistral.Console.Jobs.Engine;

namespace Mistral.Console.Web.Live;

/// <summary>A server-sent event, encoded once and shared by every viewer of a deployment.</summary>
/// <param name="ReadOnlyData">The same event for viewers who may change nothing (support), when it differs.</param>
public sealed record LiveEvent(string Name, string Data, string? Id = null, string? ReadOnlyData = null)
{
    public string DataFor(bool readOnly) => readOnly && ReadOnlyData is not null ? ReadOnlyData : Data;
}

/// <summary>
/// The one subscription registry for live deployment pages, keyed by deployment. The engine's
/// events become SSE frames once (log lines as HTML, state as a re-rendered fragment) and are
/// fanned out to bounded per-viewer queues. A viewer too slow to keep up is disconnected rather
/// than buffered without end; its browser reconnects with Last-Event-ID and catches up from the
/// store, so no line is lost.
/// </summary>
public sealed class LiveHub(ILogger<LiveHub> logger) : IDeploymentEventSink
{
    public const int ViewerQueue = 512;
    /// <summary>State changes are coalesced: at most one re-render per deployment per interval.</summary>
    public static readonly TimeSpan StateInterval = TimeSpan.FromMilliseconds(250);

    private readonly ConcurrentDictionary<long, Topic> _topics = new();

    /// <summary>Renders the live state fragment of a deployment (set by the web layer at start-up).</summary>
    public Func<long, CancellationToken, Task<string>>? StateRenderer { get; set; }

    /// <summary>Renders the state fragment for read-only viewers (no buttons that post); null: they get <see cref="StateRenderer"/>'s.</summary>
    public Func<long, CancellationToken, Task<string>>? ReadOnlyStateRenderer { get; set; }

    public int ViewerCount(long deploymentId) => _topics.TryGetValue(deploymentId, out var t) ? t.Count : 0;

    /// <summary>
    /// The deployment's current state event, shared by every viewer: the last one published, or
    /// rendered now (once per topic) when nothing was published since the first viewer came.
    /// Call after <see cref="Subscribe"/>, so the topic exists and later changes still arrive.
    /// </summary>
    public async Task<LiveEvent?> CurrentStateAsync(long deploymentId, CancellationToken ct)
    {
        if (StateRenderer is null) return null;
        var topic = _topics.GetOrAdd(deploymentId, id => new Topic(id));
        if (Volatile.Read(ref topic.State) is { } known) return known;
        var rendered = await RenderAsync(deploymentId, ct);
        // A state published meanwhile is newer than ours: keep it.
        return Interlocked.CompareExchange(ref topic.State, rendered, null) ?? rendered;
    }

    public Viewer Subscribe(long deploymentId)
    {
        var viewer = new Viewer(Channel.CreateBounded<LiveEvent>(new BoundedChannelOptions(ViewerQueue)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait, // never used to wait: writers use TryWrite
        }));
        var topic = _topics.GetOrAdd(deploymentId, id => new Topic(id));
        topic.Add(viewer);
        viewer.OnDispose = () =>
        {
            topic.Remove(viewer);
            if (topic.Count == 0) _topics.TryRemove(new KeyValuePair<long, Topic>(deploymentId, topic));
        };
        return viewer;
    }

    public void LogLines(long deploymentId, IReadOnlyList<LogLine> lines)
    {
        if (lines.Count == 0 || !_topics.TryGetValue(deploymentId, out var topic)) return;
        Publish(topic, new LiveEvent("log", LogHtml.Lines(lines), lines[^1].Seq.ToString()));
    }

    public void DeploymentChanged(DeploymentInfo deployment) => StateChanged(deployment.Id);

    public void TaskRunChanged(TaskRun run) => StateChanged(run.DeploymentId);

    private void StateChanged(long deploymentId)
    {
        if (!_topics.TryGetValue(deploymentId, out var topic) || StateRenderer is null) return;
        // One render in flight per deployment; changes during it schedule exactly one more.
        if (Interlocked.Exchange(ref topic.Dirty, 1) == 1) return;
        _ = Task.Run(async () =>
        {
            await Task.Delay(StateInterval);
            Interlocked.Exchange(ref topic.Dirty, 0);
            try
            {
                var state = await RenderAsync(deploymentId, CancellationToken.None);
                Volatile.Write(ref topic.State, state);
                Publish(topic, state);
            }
            catch (Exception e)
            {
                logger.LogError(e, "Could not render the live state of deployment {DeploymentId}", deploymentId);
            }
        });
    }

    private async Task<LiveEvent> RenderAsync(long deploymentId, CancellationToken ct)
    {
        var html = await StateRenderer!(deploymentId, ct);
        var readOnly = ReadOnlyStateRenderer is { } ro ? await ro(deploymentId, ct) : null;
        return new LiveEvent("state", html, null, readOnly);
    }

    private void Publish(Topic topic, LiveEvent e)
    {
        foreach (var viewer in topic.Snapshot())
            if (!viewer.Writer.TryWrite(e))
            {
                logger.LogInformation("A viewer of deployment {DeploymentId} fell {Queue} events behind; disconnecting it so it catches up from the store", topic.Id, ViewerQueue);
                viewer.Writer.TryComplete(new ViewerTooSlowException());
            }
    }

    private sealed class Topic(long id)
    {
        private readonly object _gate = new();
        private Viewer[] _viewers = [];
        public int Dirty;
        /// <summary>The latest state event, handed to viewers as they connect.</summary>
        public LiveEvent? State;
        public long Id { get; } = id;
        public int Count => Volatile.Read(ref _viewers).Length;
        public Viewer[] Snapshot() => Volatile.Read(ref _viewers);
        public void Add(Viewer v) { lock (_gate) _viewers = [.. _viewers, v]; }
        public void Remove(Viewer v) { lock (_gate) _viewers = _viewers.Where(x => x != v).ToArray(); }
    }

    public sealed class Viewer(Channel<LiveEvent> channel) : IDisposable
    {
        internal ChannelWriter<LiveEvent> Writer => channel.Writer;
        internal Action? OnDispose { get; set; }
        public ChannelReader<LiveEvent> Events => channel.Reader;
        public void Dispose() => OnDispose?.Invoke();
    }

    public sealed class ViewerTooSlowException() : Exception("The viewer fell too far behind.");
}

/// <summary>Log lines as HTML rows, encoded once per batch.</summary>
public static class LogHtml
{
    public static string Lines(IEnumerable<LogLine> lines)
    {
        var sb = new StringBuilder();
        foreach (var l in lines) Line(sb, l);
        return sb.ToString();
    }

    public static void Line(StringBuilder sb, LogLine l)
    {
        var stream = l.Stream switch { LogStream.Err => "err", LogStream.Sys => "sys", _ => "out" };
        sb.Append("<div class=\"ll ll-").Append(stream).Append("\" data-seq=\"").Append(l.Seq).Append('"');
        // For the page's client-side filters of live rows.
        if (l.NodeId is { } node) sb.Append(" data-node=\"").Append(node).Append('"');
        if (l.TaskId is not null) sb.Append(" data-task=\"").Append(HtmlEncoder.Default.Encode(l.TaskId)).Append('"');
        sb.Append("><time>")
          .Append(l.At.UtcDateTime.ToString("HH:mm:ss.fff")).Append("</time>");
        if (l.NodeName is not null) sb.Append("<i>").Append(HtmlEncoder.Default.Encode(l.NodeName)).Append("</i>");
        if (l.TaskId is not null) sb.Append("<b>").Append(HtmlEncoder.Default.Encode(l.TaskId)).Append("</b>");
        sb.Append("<span>").Append(HtmlEncoder.Default.Encode(l.Text)).Append("</span></div>");
    }
}
