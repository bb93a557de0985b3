using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Mistral.Console.Core.Environments;
using Mistral.Console.Core.Graph;
using Mistral.Console.Core.Roles;
using Mistral.Console.Jobs.Engine;
using Mistral.Console.Web.Live;
using static Mistral.Console.Bench.Report;

namespace Mistral.Console.Bench;

/// <summary>The real app on Kestrel, as tests/Mistral.Console.BrowserTests/KestrelConsole.cs starts it.</summary>
public sealed class BenchConsole : WebApplicationFactory<global::Program>
{
    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("mcb-web-").FullName;

    public BenchConsole() => UseKestrel(k => k.Listen(IPAddress.Loopback, 0));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        // Mvc.Testing writes no content-root manifest for a console project: point at the sources.
        builder.UseContentRoot(WebContentRoot());
        builder.UseSetting("MistralConsole:DataDirectory", DataDirectory);
        // Warnings and errors only, whatever appsettings.json says for its categories.
        builder.ConfigureLogging(l => l.ClearProviders().AddSimpleConsole().AddFilter<Microsoft.Extensions.Logging.Console.ConsoleLoggerProvider>(null, LogLevel.Warning));
    }

    private static string WebContentRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var web = Path.Combine(dir.FullName, "src", "Mistral.Console.Web");
            if (Directory.Exists(web)) return web;
        }
        throw new DirectoryNotFoundException("src/Mistral.Console.Web above " + AppContext.BaseDirectory);
    }

    public string Start()
    {
        StartServer();
        return Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single().TrimEnd('/');
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { }
    }
}

/// <summary>
/// Log fan-out: 100 SSE viewers, 2,000 lines/s for 10 s published through the app's LiveHub in
/// 50 ms batches; then the memory cost of 1,000 idle viewers. The viewers run in a child process
/// (this program in mode fanout-clients), so the server's heap holds only the server's side.
/// </summary>
public static class FanoutBench
{
    public const int Viewers = 100;
    public const int LinesPerSecond = 2000;
    public const int Seconds = 10;
    public const int BatchMs = 50;
    public const int IdleViewers = 1000;
    public const double TargetP95 = 250;
    public const double TargetBytesPerViewer = 20 * 1024;

    public static async Task RunAsync()
    {
        Say($"fanout: {Viewers} viewers, {LinesPerSecond} lines/s × {Seconds} s; {Machine()}");
        using var app = new BenchConsole();
        var url = app.Start();
        var cookie = await SignInAsync(url, File.ReadAllText(Path.Combine(app.DataDirectory, "initial-admin-password")).Trim());
        var services = app.Services;
        var envs = services.GetRequiredService<EnvironmentCommands>();
        var env = await envs.CreateAsync("bench-fanout", default);
        var nodeId = await envs.AddNodeAsync(env, new NodeInput("fan1", "192.0.2.10", 22, "mcdeploy", [Role.Controller, Role.Mistral], null, null), default)
            ?? throw new InvalidOperationException("node refused");
        var store = services.GetRequiredService<DeploymentStore>();
        var hub = services.GetRequiredService<LiveHub>();
        const string yaml = "tasks:\n  - id: t1\n    roles: [mistral]\n    script: |\n      true\n";
        var dep = await store.CreateAsync(env, "bench", "bench", yaml, null, null, [(new TaskKey("t1", nodeId), "fan1")], default);
        var idleDep = dep; // the idle viewers come after the live ones have gone

        // Sent to each viewer once on connect (when the web layer has set a renderer).
        var stateBytes = hub.StateRenderer is { } render ? System.Text.Encoding.UTF8.GetByteCount(await render(dep, default)) : 0;

        // 1. Latency under load.
        var total = LinesPerSecond * Seconds;
        await using var live = FanoutClients.Spawn(url, cookie, dep, Viewers, total);
        await WaitAsync(() => hub.ViewerCount(dep) == Viewers, TimeSpan.FromSeconds(60), $"{Viewers} viewers subscribed");
        await live.WaitLineAsync("READY", TimeSpan.FromSeconds(60));
        Say($"{Viewers} viewers subscribed; publishing; load {Load()}");
        var loadBefore = Load();
        var cpu0 = CpuJiffies();
        var perBatch = LinesPerSecond * BatchMs / 1000;
        var batches = Seconds * 1000 / BatchMs;
        var start = Stopwatch.GetTimestamp();
        long seq = 0;
        var late = 0.0;
        for (var b = 0; b < batches; b++)
        {
            var due = start + (long)(b * BatchMs / 1000.0 * Stopwatch.Frequency);
            var wait = Ms(due - Stopwatch.GetTimestamp());
            if (wait > 0) await Task.Delay(TimeSpan.FromMilliseconds(wait));
            else late = Math.Max(late, -wait);
            var stamp = Stopwatch.GetTimestamp();
            var at = DateTimeOffset.UtcNow;
            var lines = new LogLine[perBatch];
            for (var i = 0; i < perBatch; i++)
            {
                seq++;
                lines[i] = new LogLine(seq, at, 1, nodeId, "t1", LogStream.Out, $"s{seq}t{stamp}", "fan1");
            }
            hub.LogLines(dep, lines);
        }
        var publishMs = Ms(Stopwatch.GetTimestamp() - start);
        live.Send("END");
        var result = JsonSerializer.Deserialize<FanoutClients.LiveResult>(await live.WaitLineAsync("{", TimeSpan.FromSeconds(60)))!;
        var cpu1 = CpuJiffies();
        var loadAfter = Load();
        Say($"latency: p50 {result.P50:F1} p95 {result.P95:F1} p99 {result.P99:F1} max {result.Max:F1} ms; lost {result.Lost}; load {loadAfter}");
        await live.DisposeAsync();
        await WaitAsync(() => hub.ViewerCount(dep) == 0, TimeSpan.FromSeconds(30), "live viewers gone");

        // 2. Memory per idle viewer: settled heap and private memory, before and after 1,000 viewers.
        var (heap0, priv0) = await SettledAsync();
        var (heapB, privB) = await SettledAsync(); // a second baseline shows the noise
        await using var idle = FanoutClients.Spawn(url, cookie, idleDep, IdleViewers, 0);
        await WaitAsync(() => hub.ViewerCount(idleDep) == IdleViewers, TimeSpan.FromSeconds(120), $"{IdleViewers} idle viewers subscribed");
        await idle.WaitLineAsync("READY", TimeSpan.FromSeconds(60));
        await Task.Delay(2000);
        var (heap1, priv1) = await SettledAsync();
        var heapPer = (double)(heap1 - heapB) / IdleViewers;
        var privPer = (double)(priv1 - privB) / IdleViewers;
        idle.Send("END");
        await idle.DisposeAsync();
        await WaitAsync(() => hub.ViewerCount(idleDep) == 0, TimeSpan.FromSeconds(60), "idle viewers gone");

        // Baseline: what Kestrel alone keeps for an idle keep-alive connection (no request, no auth, no hub).
        var (heapK0, privK0) = await SettledAsync();
        await using var keep = FanoutClients.Spawn(url, cookie, 0, IdleViewers, -1);
        await keep.WaitLineAsync("READY", TimeSpan.FromSeconds(120));
        await Task.Delay(2000);
        var (heapK1, privK1) = await SettledAsync();
        keep.Send("END");
        await keep.DisposeAsync();

        Table($"fanout: {Viewers} SSE viewers, {LinesPerSecond} lines/s × {Seconds} s in {BatchMs} ms batches", [
            ("lines published / per viewer expected", $"{seq} / {total} (publish took {publishMs:F0} ms, worst late tick {late:F0} ms)", "", ""),
            ("delivery latency p50", $"{result.P50:F1} ms", "", ""),
            ("delivery latency p95", $"{result.P95:F1} ms", $"≤ {TargetP95} ms", Verdict(result.P95 <= TargetP95)),
            ("delivery latency p99 / max", $"{result.P99:F1} / {result.Max:F1} ms", "", ""),
            ("lines lost (all viewers)", $"{result.Lost} of {(long)total * Viewers}; viewers cut off {result.Disconnected}", "0", Verdict(result.Lost == 0)),
            ("machine CPU busy while publishing", $"{CpuPercent(cpu0, cpu1):F0} % of {Environment.ProcessorCount} cores", "", ""),
            ($"managed heap per idle viewer ({IdleViewers})", $"{heapPer:F0} B (baseline noise {heapB - heap0:+#;-#;0} B total)", $"≤ {TargetBytesPerViewer:F0} B", Verdict(heapPer <= TargetBytesPerViewer)),
            ($"private memory per idle viewer ({IdleViewers})", $"{privPer:F0} B (baseline noise {privB - priv0:+#;-#;0} B total)", $"≤ {TargetBytesPerViewer:F0} B", Verdict(privPer <= TargetBytesPerViewer)),
            ("baseline: idle keep-alive connection, heap / private", $"{(double)(heapK1 - heapK0) / IdleViewers:F0} / {(double)(privK1 - privK0) / IdleViewers:F0} B", "(info)", ""),
            ("state fragment each viewer gets on connect", $"{stateBytes} B (UTF-8)", "(info)", ""),
            ("heap / private before → after", $"{heapB / 1024} → {heap1 / 1024} KiB / {privB / 1024} → {priv1 / 1024} KiB", "", ""),
            ("GC mode", System.Runtime.GCSettings.IsServerGC ? "server (as the product)" : "workstation", "", ""),
            ("load average before / after", $"{loadBefore} / {loadAfter}", "", ""),
        ]);
    }

    /// <summary>Managed heap after full collections, and private (anonymous + file) resident memory.</summary>
    private static async Task<(long Heap, long Private)> SettledAsync()
    {
        for (var i = 0; i < 3; i++)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            await Task.Delay(200);
        }
        var heap = GC.GetTotalMemory(forceFullCollection: true);
        long priv = 0;
        foreach (var line in File.ReadLines("/proc/self/smaps_rollup"))
            if (line.StartsWith("Private_Clean:", StringComparison.Ordinal) || line.StartsWith("Private_Dirty:", StringComparison.Ordinal))
                priv += long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        return (heap, priv);
    }

    private static async Task WaitAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var t = Stopwatch.StartNew();
        while (!condition())
        {
            if (t.Elapsed > timeout) throw new TimeoutException("waiting for " + what);
            await Task.Delay(20);
        }
    }

    /// <summary>Signs in through the form (antiforgery token from the page) and returns the auth cookie header.</summary>
    private static async Task<string> SignInAsync(string url, string password)
    {
        var jar = new CookieContainer();
        using var client = new HttpClient(new HttpClientHandler { CookieContainer = jar, AllowAutoRedirect = false }) { BaseAddress = new Uri(url) };
        var page = await client.GetStringAsync("/signin");
        var meta = Regex.Match(page, "<meta[^>]*name=\"request-verification-token\"[^>]*>");
        var token = Regex.Match(meta.Value, "content=\"([^\"]+)\"").Groups[1].Value;
        if (token.Length == 0)
            token = WebUtility.HtmlDecode(Regex.Match(page, "name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"").Groups[1].Value);
        var response = await client.PostAsync("/signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Input.Username"] = "admin",
            ["Input.Password"] = password,
            ["_handler"] = "signin",
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token),
        }));
        if (response.StatusCode != HttpStatusCode.Found) throw new InvalidOperationException($"sign-in answered {(int)response.StatusCode}");
        var auth = jar.GetCookies(new Uri(url))["MistralConsole.Auth"] ?? throw new InvalidOperationException("no auth cookie");
        return $"{auth.Name}={auth.Value}";
    }
}
