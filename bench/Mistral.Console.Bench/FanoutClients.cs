using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using static Mistral.Console.Bench.Report;
using Out = System.Console;

namespace Mistral.Console.Bench;

/// <summary>
/// The SSE viewers of the fan-out benchmark, run as a child process: N streaming GETs of
/// /deployments/{id}/live with the admin's cookie (passed in the environment, not argv). Each
/// log line's text is "s{seq}t{publish timestamp}"; Stopwatch timestamps are CLOCK_MONOTONIC,
/// shared by both processes, so latency = receipt − publish. Prints READY once every stream has
/// its headers, and after END on stdin the result as one JSON line.
/// </summary>
public static class FanoutClients
{
    public const string Mode = "fanout-clients";

    public sealed record LiveResult(int Clients, long Lines, long Lost, int Disconnected, double P50, double P95, double P99, double Max);

    public static async Task<int> RunAsync(string[] args)
    {
        var (url, dep, count, expect) = (args[0], long.Parse(args[1]), int.Parse(args[2]), long.Parse(args[3]));
        if (expect < 0) return await KeepAliveAsync(new Uri(url), count);
        var cookie = Environment.GetEnvironmentVariable("MC_BENCH_COOKIE") ?? throw new InvalidOperationException("MC_BENCH_COOKIE");
        using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false, MaxConnectionsPerServer = int.MaxValue, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        { BaseAddress = new Uri(url), Timeout = Timeout.InfiniteTimeSpan };
        using var stop = new CancellationTokenSource();
        var clients = Enumerable.Range(0, count).Select(_ => new Client(expect)).ToArray();
        var opened = 0;
        var allOpen = new TaskCompletionSource();
        var tasks = clients.Select(c => Task.Run(() => c.RunAsync(http, dep, cookie, () =>
        {
            if (Interlocked.Increment(ref opened) == count) allOpen.TrySetResult();
        }, stop.Token))).ToArray();
        await Task.WhenAny(allOpen.Task, Task.WhenAll(tasks));
        if (!allOpen.Task.IsCompleted)
        {
            Out.Error.WriteLine("streams failed: " + string.Join("; ", clients.Select(c => c.Error).Where(e => e is not null).Distinct().Take(3)));
            return 1;
        }
        Out.WriteLine("READY");
        Out.Out.Flush();

        await Task.Run(() => Out.In.ReadLine()); // END
        // Give the last batches a moment; finish early once every viewer has everything.
        var grace = Stopwatch.StartNew();
        while (grace.Elapsed < TimeSpan.FromSeconds(5) && clients.Any(c => c.Count < expect && !c.Done)) await Task.Delay(20);
        stop.Cancel();
        await Task.WhenAll(tasks.Select(t => t.ContinueWith(_ => { })));
        if (expect > 0)
        {
            var all = new List<double>(clients.Sum(c => c.Latencies.Count));
            foreach (var c in clients) all.AddRange(c.Latencies);
            all.Sort();
            var result = new LiveResult(count, all.Count, clients.Sum(c => Math.Max(0, expect - c.Count)), clients.Count(c => c.Done && c.Count < expect),
                Percentile(all, 50), Percentile(all, 95), Percentile(all, 99), all.Count == 0 ? double.NaN : all[^1]);
            Out.WriteLine(JsonSerializer.Serialize(result));
        }
        else Out.WriteLine("{}");
        return 0;
    }

    /// <summary>Baseline: N idle HTTP/1.1 keep-alive connections after one GET /healthz each (no request in flight).</summary>
    private static async Task<int> KeepAliveAsync(Uri url, int count)
    {
        var sockets = new List<System.Net.Sockets.TcpClient>();
        var request = Encoding.ASCII.GetBytes($"GET /healthz HTTP/1.1\r\nHost: {url.Authority}\r\n\r\n");
        var buffer = new byte[4096];
        for (var i = 0; i < count; i++)
        {
            var tcp = new System.Net.Sockets.TcpClient();
            await tcp.ConnectAsync(url.Host, url.Port);
            var stream = tcp.GetStream();
            await stream.WriteAsync(request);
            // Read the whole response (headers, then Content-Length bytes) so the connection is idle.
            var text = "";
            while (true)
            {
                var n = await stream.ReadAsync(buffer);
                if (n == 0) throw new IOException("the server closed a keep-alive connection");
                text += Encoding.ASCII.GetString(buffer, 0, n);
                var head = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                if (head < 0) continue;
                var m = System.Text.RegularExpressions.Regex.Match(text[..head], @"(?i)content-length:\s*(\d+)");
                if (!m.Success || text.Length - head - 4 >= int.Parse(m.Groups[1].Value)) break;
            }
            sockets.Add(tcp);
        }
        Out.WriteLine("READY");
        Out.Out.Flush();
        await Task.Run(() => Out.In.ReadLine());
        foreach (var s in sockets) s.Dispose();
        Out.WriteLine("{}");
        return 0;
    }

    private sealed class Client(long expect)
    {
        public List<double> Latencies { get; } = new((int)Math.Min(expect, 100_000));
        public long Count;
        public bool Done;
        public string? Error;
        private long _last;

        public async Task RunAsync(HttpClient http, long dep, string cookie, Action open, CancellationToken ct)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"/deployments/{dep}/live");
                request.Headers.Add("Cookie", cookie);
                request.Headers.Accept.ParseAdd("text/event-stream");
                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
                if (response.StatusCode != HttpStatusCode.OK) { Error = $"HTTP {(int)response.StatusCode}"; return; }
                open();
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct), Encoding.UTF8);
                string? ev = null;
                while (await reader.ReadLineAsync(ct) is { } line)
                {
                    if (line.StartsWith("event:", StringComparison.Ordinal)) ev = line[6..].Trim();
                    else if (line.StartsWith("data:", StringComparison.Ordinal) && ev == "log") Lines(line);
                    else if (line.Length == 0) ev = null;
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (Exception e) { Error = e.Message; }
            Done = true; // the server ended the stream (e.g. a viewer too slow)
        }

        // Each line: ...<span>s{seq}t{stamp}</span>...
        private void Lines(string data)
        {
            var now = Stopwatch.GetTimestamp();
            var span = data.AsSpan();
            int i;
            while ((i = span.IndexOf("<span>s")) >= 0)
            {
                span = span[(i + 7)..];
                var t = span.IndexOf('t');
                var end = span.IndexOf('<');
                var seq = long.Parse(span[..t]);
                var stamp = long.Parse(span[(t + 1)..end]);
                span = span[end..];
                if (seq <= _last) continue; // a duplicate is not a delivery
                _last = seq;
                Count++;
                Latencies.Add(Ms(now - stamp));
            }
        }
    }

    /// <summary>Starts this program in client mode.</summary>
    public static ChildProcess Spawn(string url, string cookie, long dep, int count, long expect)
    {
        var self = Environment.ProcessPath!;
        var info = new ProcessStartInfo { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = false, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            info.FileName = self;
            info.ArgumentList.Add(typeof(FanoutClients).Assembly.Location);
        }
        else info.FileName = self;
        foreach (var a in new[] { Mode, url, dep.ToString(), count.ToString(), expect.ToString() }) info.ArgumentList.Add(a);
        info.Environment["MC_BENCH_COOKIE"] = cookie;
        // The viewers' process is a load generator: workstation GC keeps it small.
        info.Environment["DOTNET_gcServer"] = "0";
        return new ChildProcess(Process.Start(info)!);
    }

    public sealed class ChildProcess(Process process) : IAsyncDisposable
    {
        private bool _disposed;

        public void Send(string line)
        {
            process.StandardInput.WriteLine(line);
            process.StandardInput.Flush();
        }

        /// <summary>The next stdout line starting with <paramref name="prefix"/>.</summary>
        public async Task<string> WaitLineAsync(string prefix, TimeSpan timeout)
        {
            using var cts = new CancellationTokenSource(timeout);
            while (await process.StandardOutput.ReadLineAsync(cts.Token) is { } line)
                if (line.StartsWith(prefix, StringComparison.Ordinal)) return line;
            throw new InvalidOperationException($"the viewers' process ended (exit {(process.HasExited ? process.ExitCode : -1)}) before '{prefix}'");
        }

        public async ValueTask DisposeAsync()
        {
            if (_disposed) return;
            _disposed = true;
            if (!process.HasExited)
            {
                try { process.StandardInput.Close(); } catch (IOException) { }
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                try { await process.WaitForExitAsync(cts.Token); }
                catch (OperationCanceledException) { process.Kill(entireProcessTree: true); await process.WaitForExitAsync(); }
            }
            process.Dispose();
        }
    }
}
