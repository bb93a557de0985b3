using System.Diagnostics;
using Mistral.Console.Jobs.Ssh;
using Mistral.Console.Tests.Shared;
using Xunit;
using Xunit.Abstractions;

namespace Mistral.Console.Jobs.Tests.Ssh;

/// <summary>Runs only with MC_MEASURE=1: figures for docs/ssh.md, not assertions.</summary>
public sealed class MeasureFactAttribute : FactAttribute
{
    public MeasureFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("MC_MEASURE") != "1")
            Skip = "measurement; run with MC_MEASURE=1";
    }
}

[Collection(SshdCollection.Name)]
[Trait("Category", "Measure")]
public sealed class SshMeasurements(SshdFixture sshd, ITestOutputHelper output)
{
    private const int Count = 100;

    // As mcdeploy (stock .bashrc, sudo -n in the wrapper): root's .bashrc on a build machine may run
    // slow tools (pyenv here), and Debian's bash sources it for every command started by sshd.
    [MeasureFact]
    public async Task Measure_SequentialTrueCommands_RunnerVersusRawMultiplexedSsh()
    {
        var node = await sshd.StartNodeAsync("measure-" + Guid.NewGuid().ToString("N")[..8]);
        await using var runner = new OpenSshRunner(new SshOptions());
        var target = node.Target(user: SshdFixture.SudoUser);
        Assert.True((await runner.RunAsync(target, "true\n", _ => { }, TimeSpan.FromMinutes(1), default)).Succeeded);
        var socket = Directory.GetFiles(runner.RuntimeDirectory, "*.sock").Single();
        var hosts = Directory.GetFiles(runner.RuntimeDirectory, "*.hosts").Single();
        var key = Directory.GetFiles(runner.RuntimeDirectory, "*.key").Single();

        var viaRunner = await TimeAsync(Count, async () =>
        {
            var result = await runner.RunAsync(target, "true\n", _ => { }, TimeSpan.FromMinutes(1), default);
            Assert.True(result.Succeeded, $"{result.Outcome} {result.ExitCode} {result.Error}");
        });
        string[] mux = ["-F", "/dev/null", "-T", "-o", "ControlMaster=no", "-o", "ControlPath=" + socket, "-o", "BatchMode=yes",
            "-p", node.Port.ToString(), "-l", SshdFixture.SudoUser, "--", node.Address];
        var rawMux = await TimeAsync(Count, () => Ssh([.. mux, "true"]));
        var rawMuxSudo = await TimeAsync(Count, () => Ssh([.. mux, "sudo -n true"]));
        const int handshakes = 20;
        var fresh = await TimeAsync(handshakes, () => Ssh("-F", "/dev/null", "-T", "-o", "ControlPath=none", "-o", "BatchMode=yes",
            "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + hosts, "-o", "HostKeyAlias=mc-" + node.Name,
            "-o", "IdentitiesOnly=yes", "-o", "IdentityFile=" + key, "-p", node.Port.ToString(), "-l", SshdFixture.SudoUser, "--", node.Address, "true"));

        output.WriteLine($"load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}, {Environment.ProcessorCount} cores");
        output.WriteLine($"runner (mux + wrapper + sudo -n + temp file), {Count} x true: {viaRunner.TotalSeconds:F2} s = {viaRunner.TotalMilliseconds / Count:F0} ms each");
        output.WriteLine($"raw ssh -o ControlPath=<master> true, {Count} x: {rawMux.TotalSeconds:F2} s = {rawMux.TotalMilliseconds / Count:F0} ms each");
        output.WriteLine($"raw ssh -o ControlPath=<master> 'sudo -n true', {Count} x: {rawMuxSudo.TotalSeconds:F2} s = {rawMuxSudo.TotalMilliseconds / Count:F0} ms each");
        output.WriteLine($"raw ssh, new connection each, {handshakes} x true: {fresh.TotalSeconds:F2} s = {fresh.TotalMilliseconds / handshakes:F0} ms each");
    }

    private static async Task<TimeSpan> TimeAsync(int count, Func<Task> action)
    {
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
            await action();
        return clock.Elapsed;
    }

    private static async Task Ssh(params string[] args)
    {
        var (code, text) = await SshdFixture.RunAsync("ssh", args);
        Assert.True(code == 0, $"ssh exited {code}: {text}");
    }
}
