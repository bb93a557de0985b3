using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Mistral.Console.Jobs.Engine;
using Mistral.Console.Jobs.Logs;

namespace Mistral.Console.Web.Live;

/// <summary>
/// One SSE stream per open deployment page: catch-up from the store after the last line the page
/// has (Last-Event-ID on reconnect, or ?after= on first connect), then live events from the hub.
/// </summary>
public static class LiveEndpoints
{
    public const int CatchUpPage = 2000;

    public static IEndpointRouteBuilder MapLive(this IEndpointRouteBuilder app)
    {
        app.MapGet("/deployments/{id:long}/live", async (long id, long? after, HttpContext http, DeploymentStore store, LogStore logs, LiveHub hub, CancellationToken ct) =>
        {
            if (await store.GetAsync(id, ct) is null) return Results.NotFound();
            var from = long.TryParse(http.Request.Headers["Last-Event-ID"], out var last) ? last : after ?? 0;
            http.Response.Headers.CacheControl = "no-store";
            // Behind nginx-like proxies, do not buffer the stream.
            http.Response.Headers["X-Accel-Buffering"] = "no";
            // Support viewers get the state fragment without buttons that post.
            var readOnly = !Auth.Principals.IsAdmin(http.User);
            return TypedResults.ServerSentEvents(StreamAsync(id, from, readOnly, store, logs, hub, ct));
        });
        return app;
    }

    private static async IAsyncEnumerable<SseItem<string>> StreamAsync(long id, long after, bool readOnly, DeploymentStore store, LogStore logs, LiveHub hub,
        [EnumeratorCancellation] CancellationToken ct)
    {
        // Subscribe before catching up, so nothing published meanwhile is missed; duplicates are
        // dropped by sequence number.
        using var viewer = hub.Subscribe(id);
        var sent = after;
        await foreach (var page in CatchUpAsync(id, after, store, logs, ct))
        {
            sent = long.Parse(page.Id!);
            yield return Item(page);
        }
        // The page may be older than the current state: send the shared current one.
        if (await hub.CurrentStateAsync(id, ct) is { } state) yield return Item(state, readOnly);

        // From here an idle viewer holds only its subscription: every event is a shared object.
        while (await viewer.Events.WaitToReadAsync(ct))
        {
            while (viewer.Events.TryRead(out var e))
            {
                if (e.Name == "log" && long.TryParse(e.Id, out var seq))
                {
                    if (seq <= sent) continue;
                    sent = seq;
                }
                yield return Item(e, readOnly);
            }
        }
    }

    // Its own iterator, so the pages and the node-name map are garbage once the catch-up is done.
    private static async IAsyncEnumerable<LiveEvent> CatchUpAsync(long id, long after, DeploymentStore store, LogStore logs,
        [EnumeratorCancellation] CancellationToken ct)
    {
        IReadOnlyDictionary<long, string>? names = null;
        while (true)
        {
            var page = await logs.ReadAsync(id, after, CatchUpPage, null, null, ct);
            if (page.Count == 0) yield break;
            names ??= (await store.ListRunsAsync(id, ct)).NodeNames();
            yield return new LiveEvent("log", LogHtml.Lines(page.Select(l => l.Named(names))), page[^1].Seq.ToString());
            after = page[^1].Seq;
        }
    }

    private static SseItem<string> Item(LiveEvent e, bool readOnly = false) => new(e.DataFor(readOnly), e.Name) { EventId = e.Id };
}
