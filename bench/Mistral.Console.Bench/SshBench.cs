using System.Diagnostics;
using System.Security.Cryptography;
using Mistral.Console.Jobs.Ssh;
using Mistral.Console.Tests.Shared;
using static Mistral.Console.Bench.Report;

namespace Mistral.Console.Bench;

/// <summary>
/// Per-command cost: OpenSshRunner against raw ssh through a ControlMaster opened with the
/// runner's own options, as the sudo user. The variants run interleaved (one of each per round),
/// so load from other work on the machine falls on all of them alike.
/// </summary>
public static class SshBench
{
    public const int Count = 200;
    public const double Target = 1.2;

    public static async Task RunAsync()
    {
        Say($"ssh: {Count} sequential commands per variant; {Machine()}");
        var sshd = new SshdFixture();
        await sshd.InitializeAsync();
        try
        {
            var node = await sshd.StartNodeAsync("bench-ssh");
            var figures = await MeasureAsync(sshd, node, Count);
            var load = Load();
            var ratioSudo = figures["runner"].Median / figures["raw sudo"].Median;
            var ratioWrapper = figures["runner"].Median / figures["raw sudo + wrapper"].Median;
            var ratioPlain = figures["runner"].Median / figures["raw plain"].Median;
            var rows = new List<(string, string, string, string)>();
            foreach (var (name, f) in figures)
                rows.Add(($"{name}: median / p95", $"{f.Median:F1} / {f.P95:F1} ms", "", ""));
            rows.Add(("runner ÷ raw 'sudo -n sh -c true' (like for like)", $"{ratioSudo:F2}×", $"≤ {Target}×", Verdict(ratioSudo <= Target)));
            rows.Add(("runner ÷ raw sudo + same wrapper script", $"{ratioWrapper:F2}×", $"≤ {Target}×", Verdict(ratioWrapper <= Target)));
            rows.Add(("runner ÷ raw plain 'true' (no sudo)", $"{ratioPlain:F2}×", "(info)", ""));
            var slim = figures["raw sudo + slim wrapper (proposed)"].Median / figures["raw sudo"].Median;
            rows.Add(("proposed slim wrapper ÷ raw sudo", $"{slim:F2}×", $"≤ {Target}×", Verdict(slim <= Target)));
            rows.Add(("load average at end", load, "", ""));
            Table("ssh: per-command cost, sequential `true`, user mcdeploy", rows);
        }
        finally
        {
            await sshd.DisposeAsync();
        }
    }

    public sealed record Figure(double Median, double P95, double Mean);

    public static Figure Of(List<double> ms)
    {
        ms.Sort();
        return new Figure(Percentile(ms, 50), Percentile(ms, 95), ms.Average());
    }

    /// <summary>Runner and raw variants on one node, <paramref name="count"/> rounds, interleaved.</summary>
    public static async Task<Dictionary<string, Figure>> MeasureAsync(SshdFixture sshd, SshNode node, int count)
    {
        var root = Directory.CreateTempSubdirectory("mcb-").FullName;
        await using var runner = new OpenSshRunner(new SshOptions { RuntimeRoot = root });
        var target = node.Target(user: SshdFixture.SudoUser);
        // First command opens the runner's master (and is not counted).
        Check(await runner.RunAsync(target, "true\n", _ => { }, TimeSpan.FromMinutes(1), default));
        await using var raw = await RawMaster.OpenAsync(sshd, node, root);

        var samples = new Dictionary<string, List<double>>
        {
            ["runner"] = [], ["raw sudo"] = [], ["raw sudo + wrapper"] = [], ["raw sudo + slim wrapper (proposed)"] = [], ["raw plain"] = [],
        };
        for (var i = 0; i < count; i++)
        {
            var t = Stopwatch.GetTimestamp();
            Check(await runner.RunAsync(target, "true\n", _ => { }, TimeSpan.FromMinutes(1), default));
            samples["runner"].Add(Ms(Stopwatch.GetTimestamp() - t));
            samples["raw sudo"].Add(await raw.TimeAsync("sudo -n /bin/sh -c true"));
            samples["raw sudo + wrapper"].Add(await raw.TimeAsync(RawMaster.Wrapper(5, sudo: true), "true\n"));
            samples["raw sudo + slim wrapper (proposed)"].Add(await raw.TimeAsync(RawMaster.SlimWrapper(5), "true\n"));
            samples["raw plain"].Add(await raw.TimeAsync("true"));
        }
        try { Directory.Delete(root, true); } catch (IOException) { }
        return samples.ToDictionary(kv => kv.Key, kv => Of(kv.Value));
    }

    private static void Check(Mistral.Console.Core.Execution.CommandResult r)
    {
        if (!r.Succeeded) throw new InvalidOperationException($"runner: {r.Outcome} {r.ExitCode} {r.Error}");
    }
}

/// <summary>Our own ControlMaster with the runner's options (docs/ssh.md), for raw multiplexed ssh.</summary>
public sealed class RawMaster : IAsyncDisposable
{
    private readonly string _dir;
    private readonly SshNode _node;
    private readonly string[] _common;

    private RawMaster(string dir, SshNode node, string[] common)
    {
        _dir = dir;
        _node = node;
        _common = common;
    }

    public static async Task<RawMaster> OpenAsync(SshdFixture sshd, SshNode node, string root)
    {
        var dir = Path.Combine(root, "raw-" + RandomNumberGenerator.GetHexString(6, true));
        Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var key = Path.Combine(dir, "k");
        await using (var f = new FileStream(key, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
            await f.WriteAsync(System.Text.Encoding.UTF8.GetBytes(sshd.PrivateKeyText.Replace("\r\n", "\n").Trim() + "\n"));
        var hosts = Path.Combine(dir, "h");
        await File.WriteAllTextAsync(hosts, $"mcb-{node.Name} {node.HostKeyLine}\n");
        string[] common =
        [
            "-F", "/dev/null", "-T", "-x", "-a",
            "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + hosts,
            "-o", "GlobalKnownHostsFile=/dev/null", "-o", "HostKeyAlias=mcb-" + node.Name, "-o", "UpdateHostKeys=no",
            "-o", "CheckHostIP=no", "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none", "-o", "IdentityFile=" + key,
            "-o", "PreferredAuthentications=publickey", "-o", "ConnectTimeout=10", "-o", "ServerAliveInterval=15",
            "-o", "ServerAliveCountMax=3", "-o", "ControlPath=" + Path.Combine(dir, "s"), "-o", "LogLevel=ERROR",
            "-p", node.Port.ToString(), "-l", SshdFixture.SudoUser,
        ];
        var master = new RawMaster(dir, node, common);
        var (code, text) = await SshdFixture.RunAsync("ssh", [.. common, "-f", "-N", "-o", "ControlMaster=yes", "-o", "ControlPersist=300", "--", node.Address]);
        if (code != 0) throw new InvalidOperationException("raw master: " + text);
        (code, text) = await SshdFixture.RunAsync("ssh", [.. common, "-O", "check", "--", node.Address]);
        if (code != 0) throw new InvalidOperationException("raw master check: " + text);
        return master;
    }

    /// <summary>Wall time in ms of one multiplexed ssh running <paramref name="command"/>, optional stdin.</summary>
    public async Task<double> TimeAsync(string command, string? stdin = null)
    {
        var t = Stopwatch.GetTimestamp();
        var info = new ProcessStartInfo("ssh") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in _common) info.ArgumentList.Add(a);
        foreach (var a in new[] { "-o", "ControlMaster=no", "--", _node.Address, command }) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        if (stdin is not null) await p.StandardInput.WriteAsync(stdin);
        p.StandardInput.Close();
        await p.WaitForExitAsync();
        await o;
        var err = await e;
        var ms = Ms(Stopwatch.GetTimestamp() - t);
        if (p.ExitCode != 0) throw new InvalidOperationException($"raw ssh '{command}' exited {p.ExitCode}: {err}");
        return ms;
    }

    /// <summary>The same remote work as the runner's wrapper (RemoteScripts.Run, internal to Jobs):
    /// temp file, byte count check, setsid bash, markers on stderr.</summary>
    public static string Wrapper(int bytes, bool sudo)
    {
        const string m = "#mc:bench:";
        var body = "umask 077; f=$(mktemp \"${TMPDIR:-/tmp}/mc-script.XXXXXXXXXX\") || exit 125; cat >\"$f\"; " +
                   $"if [ \"$(wc -c <\"$f\")\" -ne {bytes} ]; then rm -f \"$f\"; echo \"{m}short\" >&2; exit 125; fi; " +
                   $"setsid bash \"$f\" </dev/null & p=$!; echo \"{m}pgid $p\" >&2; wait $p; rc=$?; rm -f \"$f\"; echo \"{m}exit $rc\" >&2; exit $rc";
        return (sudo ? "sudo -n " : "") + "/bin/sh -c '" + body + "'";
    }

    /// <summary>A proposal for RemoteScripts.Run with three fewer processes per command: bash reads
    /// exactly N bytes with its read builtin (no cat, no wc), the file is created with noclobber
    /// (O_EXCL) under a random name (no mktemp). Same guarantees: private file, byte count
    /// checked, script never in argv, pgid and exit reported. Scripts must not contain NUL.</summary>
    public static string SlimWrapper(int bytes)
    {
        const string m = "#mc:bench:";
        var tag = RandomNumberGenerator.GetHexString(12, true);
        var body = $"umask 077; set -C; f=\"${{TMPDIR:-/tmp}}/mc-script.{tag}\"; " +
                   $"LC_ALL=C IFS= read -r -d \"\" -N {bytes} s; if [ ${{#s}} -ne {bytes} ]; then echo \"{m}short\" >&2; exit 125; fi; " +
                   "printf %s \"$s\" >\"$f\" || exit 125; unset s; " +
                   $"setsid bash \"$f\" </dev/null & p=$!; echo \"{m}pgid $p\" >&2; wait $p; rc=$?; rm -f \"$f\"; echo \"{m}exit $rc\" >&2; exit $rc";
        return "sudo -n /bin/bash -c '" + body + "'";
    }

    public async ValueTask DisposeAsync()
    {
        await SshdFixture.RunAsync("ssh", [.. _common, "-O", "exit", "--", _node.Address]);
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
