using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Xunit;

namespace Mistral.Console.SystemTests;

/// <summary>The repository's lab/ scripts: real systemd-nspawn nodes running an OpenStack control plane.</summary>
public static class Lab
{
    public static string RepoRoot { get; } = FindRoot();
    public const string StateDirectory = "/var/lib/mistral-console-lab";

    /// <summary>Null when this machine can run the lab; otherwise the plain reason it cannot.</summary>
    public static string? Unsupported { get; } = CheckSupport();

    public static async Task<int> RunAsync(string script, IEnumerable<string> args, Action<string> output, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(Path.Combine(RepoRoot, "lab", script)) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) output(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) output(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"lab/{script} did not finish within {timeout}.");
        }
        return p.ExitCode;
    }

    /// <summary>Runs a command on a lab node as root (the lab's own key), for what the test does to the cloud behind the product's back.</summary>
    public static async Task<(int Code, string Output)> SshAsync(string node, string command)
    {
        var sb = new StringBuilder();
        var code = await RunAsync("ssh", [node, command], l => { lock (sb) sb.AppendLine(l); }, TimeSpan.FromMinutes(2));
        return (code, sb.ToString());
    }

    public static LabLayout Read(string layout)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(StateDirectory, layout + ".json")));
        var r = doc.RootElement;
        return new LabLayout(
            layout, r.GetProperty("vip").GetString()!, r.GetProperty("publicVip").GetString()!,
            File.ReadAllText(r.GetProperty("sshKey").GetString()!),
            r.GetProperty("nodes").EnumerateArray().Select(n => new LabNode(
                n.GetProperty("name").GetString()!, n.GetProperty("address").GetString()!,
                n.GetProperty("roles").EnumerateArray().Select(x => x.GetString()!).ToList())).ToList());
    }

    private static string? CheckSupport()
    {
        try
        {
            var psi = new ProcessStartInfo(Path.Combine(RepoRoot, "lab", "check-support")) { RedirectStandardOutput = true, RedirectStandardError = true };
            using var p = Process.Start(psi)!;
            var text = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode == 0 ? null : text.Trim();
        }
        catch (Exception e)
        {
            return "lab/check-support could not run: " + e.Message;
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Mistral.Console.sln"))) return dir.FullName;
        throw new InvalidOperationException("Mistral.Console.sln not found above " + AppContext.BaseDirectory);
    }
}

public sealed record LabNode(string Name, string Address, IReadOnlyList<string> Roles);

public sealed record LabLayout(string Name, string Vip, string PublicVip, string PrivateKey, IReadOnlyList<LabNode> Nodes);

/// <summary>A fact that runs only where the lab can run (root, systemd-nspawn); elsewhere it is
/// skipped with the plain reason, which the test output shows.</summary>
public sealed class LabFactAttribute : FactAttribute
{
    public LabFactAttribute()
    {
        if (Lab.Unsupported is { } why) Skip = "The Mistral system test needs the lab and this machine cannot run it: " + why;
    }

    /// <summary>The lab layout the test needs; "ha" is left out when MC_LAB_HA=0 (a shorter run).</summary>
    public string Layout
    {
        get => _layout;
        set
        {
            _layout = value;
            if (Skip is null && value == "ha" && Environment.GetEnvironmentVariable("MC_LAB_HA") == "0")
                Skip = "MC_LAB_HA=0: the HA layout is left out of this run.";
        }
    }

    private string _layout = "small";
}
