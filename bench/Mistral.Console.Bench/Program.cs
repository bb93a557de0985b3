using System.Diagnostics;
using Out = System.Console;

namespace Mistral.Console.Bench;

/// <summary>dotnet run -c Release --project bench/Mistral.Console.Bench -- engine [nodes]|ssh|fanout|all</summary>
public static class BenchProgram
{
    public static async Task<int> Main(string[] args)
    {
        var which = args.FirstOrDefault() ?? "";
        try
        {
            switch (which)
            {
                case "engine": await EngineBench.RunAsync(args.Length > 1 ? int.Parse(args[1]) : EngineBench.DefaultNodes); break;
                case "ssh": await SshBench.RunAsync(); break;
                case "fanout": await FanoutBench.RunAsync(); break;
                case "all":
                    await SshBench.RunAsync();
                    await EngineBench.RunAsync();
                    await FanoutBench.RunAsync();
                    break;
                // Internal: the SSE viewers of the fan-out benchmark, in their own process so the
                // server's heap and private memory hold only the server's side of each viewer.
                case FanoutClients.Mode: return await FanoutClients.RunAsync(args.Skip(1).ToArray());
                default:
                    Out.Error.WriteLine("usage: dotnet run -c Release --project bench/Mistral.Console.Bench -- engine [nodes]|ssh|fanout|all");
                    return 2;
            }
            return 0;
        }
        catch (Exception e)
        {
            Out.Error.WriteLine($"benchmark {which} failed: {e}");
            return 1;
        }
    }
}

/// <summary>Figures, load and the table printed at the end of each mode.</summary>
public static class Report
{
    public static string Load()
    {
        var parts = File.ReadAllText("/proc/loadavg").Split(' ');
        return $"{parts[0]} {parts[1]} {parts[2]}";
    }

    public static string Machine() =>
        $"{Environment.ProcessorCount} cores, {Environment.OSVersion.VersionString}, .NET {Environment.Version}, load {Load()}";

    public static void Say(string text) => Out.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {text}");

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double p)
    {
        if (sorted.Count == 0) return double.NaN;
        var rank = (int)Math.Ceiling(p / 100.0 * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }

    public static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    public static void Table(string title, IEnumerable<(string Figure, string Value, string Target, string Verdict)> rows)
    {
        var list = rows.ToList();
        int w1 = Math.Max(6, list.Max(r => r.Figure.Length)), w2 = Math.Max(5, list.Max(r => r.Value.Length)), w3 = Math.Max(6, list.Max(r => r.Target.Length));
        Out.WriteLine();
        Out.WriteLine($"== {title} ({Machine()})");
        Out.WriteLine($"| {"figure".PadRight(w1)} | {"value".PadRight(w2)} | {"target".PadRight(w3)} | verdict |");
        Out.WriteLine($"|{new string('-', w1 + 2)}|{new string('-', w2 + 2)}|{new string('-', w3 + 2)}|---------|");
        foreach (var r in list)
            Out.WriteLine($"| {r.Figure.PadRight(w1)} | {r.Value.PadRight(w2)} | {r.Target.PadRight(w3)} | {r.Verdict} |");
        Out.WriteLine();
    }

    public static string Verdict(bool met) => met ? "met" : "MISSED";

    /// <summary>Busy and total jiffies of the whole machine (/proc/stat), for CPU utilization over an interval.</summary>
    public static (long Busy, long Total) CpuJiffies()
    {
        var f = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();
        var idle = f[3] + f[4];
        var total = f.Take(8).Sum();
        return (total - idle, total);
    }

    public static double CpuPercent((long Busy, long Total) a, (long Busy, long Total) b) =>
        b.Total == a.Total ? 0 : 100.0 * (b.Busy - a.Busy) / (b.Total - a.Total);
}
