using System.Diagnostics;
using System.Text;
using Mistral.Console.Core.Execution;
using Mistral.Console.Jobs.Ssh;
using Mistral.Console.Tests.Shared;
using Xunit;
using Xunit.Abstractions;

namespace Mistral.Console.Jobs.Tests.Ssh;

[Collection(SshdCollection.Name)]
public sealed class OpenSshRunnerTests(SshdFixture sshd, ITestOutputHelper output)
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);
    private readonly ListLogger<OpenSshRunner> logger = new(output);

    private OpenSshRunner NewRunner(int controlPersistSeconds = 60) => new(
        new SshOptions { ConnectTimeout = TimeSpan.FromSeconds(5), KillGrace = TimeSpan.FromSeconds(1), ControlPersistSeconds = controlPersistSeconds },
        logger);

    private Task<SshNode> NewNode() => sshd.StartNodeAsync("n" + Guid.NewGuid().ToString("N")[..10]);

    private static string Unique(string prefix) => $"{prefix}{Random.Shared.Next(100_000, 999_999)}";

    [Fact]
    public async Task Run_Succeeds_WithStdoutAndStderrKeptApart()
    {
        var node = await NewNode();
        await using var runner = NewRunner();
        var lines = new Lines();

        var result = await runner.RunAsync(node.Target(), "echo out-1\necho err-1 >&2\necho out-2\n", lines.Add, Long, default);

        Assert.Equal(CommandOutcome.Exited, result.Outcome);
        Assert.Equal(0, result.ExitCode);
        Assert.True(result.Succeeded);
        Assert.Equal(["out-1", "out-2"], lines.Of(OutputStream.Stdout));
        Assert.Equal(["err-1"], lines.Of(OutputStream.Stderr));
        Assert.All(lines.All, l => Assert.True(l.At > DateTimeOffset.UtcNow.AddMinutes(-1)));
    }

    [Fact]
    public async Task Run_KeepsTheScriptsNonZeroExitCode()
    {
        var node = await NewNode();
        await using var runner = NewRunner();

        var result = await runner.RunAsync(node.Target(), "echo failing\nexit 3\n", _ => { }, Long, default);

        Assert.Equal(CommandOutcome.Exited, result.Outcome);
        Assert.Equal(3, result.ExitCode);
        Assert.False(result.Succeeded);
    }

    [Fact]
    public async Task Run_ReportsExit255FromTheScript_AsExitedNotUnreachable()
    {
        var node = await NewNode();
        await using var runner = NewRunner();

        var result = await runner.RunAsync(node.Target(), "exit 255\n", _ => { }, Long, default);

        Assert.Equal(CommandOutcome.Exited, result.Outcome);
        Assert.Equal(255, result.ExitCode);
    }

    [Fact]
    public async Task Run_TimedOut_KillsTheRemoteProcessGroup()
    {
        var node = await NewNode();
        await using var runner = NewRunner();
        var sleep = Unique("3600.");
        var lines = new Lines();
        var started = lines.Seen("started");

        var run = runner.RunAsync(node.Target(),
            $"echo started\n( sleep {sleep}; echo child-survived ) &\nsleep {sleep}\necho not-reached\n", lines.Add, TimeSpan.FromSeconds(3), default);
        await started.WaitAsync(Long);
        Assert.True(await BecomesRunning(sleep), "the remote sleep should be running before the timeout");
        var result = await run;

        Assert.Equal(CommandOutcome.TimedOut, result.Outcome);
        Assert.Null(result.ExitCode);
        Assert.Contains("killed", result.Error);
        Assert.False(await IsRunning(sleep), "the remote process group must be gone when the runner returns");
        Assert.DoesNotContain("not-reached", lines.Of(OutputStream.Stdout));
        Assert.InRange(result.Duration, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Run_Canceled_KillsTheRemoteProcessGroup()
    {
        var node = await NewNode();
        await using var runner = NewRunner();
        var sleep = Unique("3601.");
        var lines = new Lines();
        var started = lines.Seen("started");
        using var cancel = new CancellationTokenSource();

        var run = runner.RunAsync(node.Target(), $"echo started\nsleep {sleep}\n", lines.Add, Long, cancel.Token);
        await started.WaitAsync(Long);
        Assert.True(await BecomesRunning(sleep));
        await cancel.CancelAsync();
        var result = await run;

        Assert.Equal(CommandOutcome.Canceled, result.Outcome);
        Assert.Contains("killed", result.Error);
        Assert.False(await IsRunning(sleep));
    }

    [Fact]
    public async Task Run_NonRootUserWithSudo_StopsTheRootProcessGroupOnTimeout()
    {
        var node = await NewNode();
        await using var runner = NewRunner();
        var sleep = Unique("3602.");
        var lines = new Lines();
        var started = lines.Seen("started");

        var run = runner.RunAsync(node.Target(user: SshdFixture.SudoUser), $"echo started\nsleep {sleep}\n", lines.Add, TimeSpan.FromSeconds(3), default);
        await started.WaitAsync(Long);
        Assert.True(await BecomesRunning(sleep));
        var result = await run;

        Assert.Equal(CommandOutcome.TimedOut, result.Outcome);
        Assert.False(await IsRunning(sleep));
    }

    [Fact]
    public async Task Run_ClosedPort_IsUnreachable()
    {
        var node = await NewNode();
        await sshd.StopNodeAsync(node);
        await using var runner = NewRunner();

        var result = await runner.RunAsync(node.Target(), "true\n", _ => { }, Long, default);

        Assert.Equal(CommandOutcome.Unreachable, result.Outcome);
        Assert.Contains("Connection refused", result.Error);
        Assert.Contains(node.Name, result.Error);
    }

    [Fact]
    public async Task Run_AfterTheNodeWentDown_IsUnreachable()
    {
        var node = await NewNode();
        await using var runner = NewRunner();
        Assert.True((await runner.RunAsync(node.Target(), "true\n", _ => { }, Long, default)).Succeeded);

        await sshd.StopNodeAsync(node);
        var down = await runner.RunAsync(node.Target(), "true\n", _ => { }, Long, default);
        Assert.Equal(CommandOutcome.Unreachable, down.Outcome);
    }

    [Fact]
    public async Task Run_WrongUserKey_IsAuthFailed()
    {
        var node = await NewNode();
        var (wrongKey, _) = await sshd.NewKeyPairAsync("wrong");
        await using var runner = NewRunner();

        var result = await runner.RunAsync(node.Target(privateKey: wrongKey), "true\n", _ => { }, Long, default);

        Assert.Equal(CommandOutcome.AuthFailed, result.Outcome);
        Assert.Contains("refused the key", result.Error);
    }

    [Fact]
    public async Task Run_ChangedHostKey_IsRefusedAsHostKeyChanged_WithBothFingerprints()
    {
        var node = await NewNode();
        var oldPin = node.HostKeyLine;
        var renewed = await sshd.RegenerateHostKeyAsync(node);
        await using var runner = NewRunner();
        var lines = new Lines();

        var result = await runner.RunAsync(renewed.Target(pinnedHostKey: oldPin), "echo must-not-run\n", lines.Add, Long, default);

        Assert.Equal(CommandOutcome.HostKeyChanged, result.Outcome);
        Assert.StartsWith($"host key changed for node {node.Name}: expected {Fingerprint(oldPin)}", result.Error);
        Assert.Contains($"got {Fingerprint(renewed.HostKeyLine)}", result.Error);
        Assert.Contains("refusing", result.Error);
        Assert.Empty(lines.All);
        Assert.True((await runner.RunAsync(renewed.Target(), "true\n", _ => { }, Long, default)).Succeeded);
    }

    [Fact]
    public async Task Run_WithoutPinnedHostKey_IsRefusedBeforeConnecting()
    {
        var node = await NewNode();
        await using var runner = NewRunner();

        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            runner.RunAsync(node.Target() with { PinnedHostKey = null }, "true\n", _ => { }, Long, default));

        Assert.Contains("no pinned host key", error.Message);
        Assert.Equal(0, sshd.CountLog(node, "Accepted publickey"));
    }

    [Fact]
    public async Task Run_ScriptWhoseCommandsReadStdin_RunsToTheEnd()
    {
        var node = await NewNode();
        await using var runner = NewRunner();
        var lines = new Lines();

        var result = await runner.RunAsync(node.Target(),
            "cat > /dev/null\necho after-cat\nread x || echo read-got-eof\nhead -c 10 >/dev/null\necho last-line\n", lines.Add, Long, default);

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(["after-cat", "read-got-eof", "last-line"], lines.Of(OutputStream.Stdout));
    }

    [Fact]
    public async Task Run_NeverPutsTheScriptSecretOrThePrivateKeyInAnyProcessArgumentsOrLogs()
    {
        var node = await NewNode();
        await using var runner = NewRunner();
        var secret = "s3cret-" + Guid.NewGuid().ToString("N");
        var sleep = Unique("3603.");
        var lines = new Lines();
        var started = lines.Seen("started");
        using var cancel = new CancellationTokenSource();

        var run = runner.RunAsync(node.Target(user: SshdFixture.SudoUser),
            $"PASSWORD='{secret}'\necho started\nsleep {sleep}\n", lines.Add, Long, cancel.Token);
        await started.WaitAsync(Long);
        Assert.True(await BecomesRunning(sleep));

        var keyParts = node.PrivateKeyText.Split('\n').Where(l => l.Length > 20 && !l.StartsWith("-----", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(keyParts);
        var leaks = new List<string>();
        foreach (var proc in Directory.EnumerateDirectories("/proc").Where(d => char.IsDigit(Path.GetFileName(d)[0])))
        {
            foreach (var file in new[] { "cmdline", "environ" })
            {
                string text;
                try
                {
                    text = Encoding.UTF8.GetString(await File.ReadAllBytesAsync(Path.Combine(proc, file)));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    continue; // the process ended meanwhile
                }
                if (text.Contains(secret, StringComparison.Ordinal) || keyParts.Any(k => text.Contains(k, StringComparison.Ordinal)))
                    leaks.Add($"{proc}/{file}: {text.Replace('\0', ' ')}");
            }
        }
        await cancel.CancelAsync();
        var result = await run;

        Assert.Empty(leaks);
        Assert.Equal(CommandOutcome.Canceled, result.Outcome);
        Assert.DoesNotContain(logger.Messages, m => m.Contains(secret, StringComparison.Ordinal) || keyParts.Any(k => m.Contains(k, StringComparison.Ordinal)));
        Assert.DoesNotContain(secret, result.Error ?? "");
    }

    [Fact]
    public async Task Run_KeyFilesArePrivateWhileInUse_AndGoneAfterDispose()
    {
        var node = await NewNode();
        var runner = NewRunner();
        var dir = runner.RuntimeDirectory;
        var lines = new Lines();
        var started = lines.Seen("started");
        using var cancel = new CancellationTokenSource();

        var run = runner.RunAsync(node.Target(), $"echo started\nsleep {Unique("3604.")}\n", lines.Add, Long, cancel.Token);
        await started.WaitAsync(Long);
        var keyFiles = Directory.GetFiles(dir, "*.key");
        var dirMode = File.GetUnixFileMode(dir);
        var keyModes = keyFiles.Select(File.GetUnixFileMode).ToList();
        var hostsModes = Directory.GetFiles(dir, "*.hosts").Select(File.GetUnixFileMode).ToList();
        var keyText = File.ReadAllText(Assert.Single(keyFiles));
        await cancel.CancelAsync();
        await run;
        await runner.DisposeAsync();

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, dirMode);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, Assert.Single(keyModes));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, Assert.Single(hostsModes));
        Assert.Equal(node.PrivateKeyText.Trim() + "\n", keyText);
        Assert.False(Directory.Exists(dir), "the runtime directory must be deleted on dispose");
        Assert.DoesNotContain(await Pgrep("ssh .*" + Path.GetFileName(dir)), l => l.Length > 0);
    }

    [Fact]
    public async Task Run_IdleMaster_IsClosedAndItsKeyFileRemoved()
    {
        var node = await NewNode();
        await using var runner = NewRunner(controlPersistSeconds: 1);

        Assert.True((await runner.RunAsync(node.Target(), "true\n", _ => { }, Long, default)).Succeeded);
        Assert.Single(Directory.GetFiles(runner.RuntimeDirectory, "*.key"));

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (Directory.GetFiles(runner.RuntimeDirectory, "*.key").Length > 0 && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        Assert.Empty(Directory.GetFiles(runner.RuntimeDirectory, "*.key"));
        Assert.Empty(Directory.GetFiles(runner.RuntimeDirectory, "*.sock"));

        Assert.True((await runner.RunAsync(node.Target(), "true\n", _ => { }, Long, default)).Succeeded);
        Assert.Equal(2, sshd.CountLog(node, "Accepted publickey"));
    }

    [Fact]
    public async Task Run_TwelveConcurrentCommandsOnOneNode_AllSucceedOverOneConnection()
    {
        var node = await NewNode();
        await using var runner = NewRunner();
        var lines = new Lines();

        var results = await Task.WhenAll(Enumerable.Range(0, 12).Select(i =>
            runner.RunAsync(node.Target(), $"sleep 0.5\necho done-{i}\n", lines.Add, Long, default)));

        Assert.All(results, r => Assert.True(r.Succeeded, $"{r.Outcome} {r.ExitCode} {r.Error}"));
        Assert.Equal(12, lines.Of(OutputStream.Stdout).Distinct().Count());
        Assert.Equal(1, sshd.CountLog(node, "Accepted publickey"));
    }

    [Fact]
    public async Task Run_NonRootUserWithSudo_RunsTheScriptAsRoot()
    {
        var node = await NewNode();
        await using var runner = NewRunner();
        var lines = new Lines();

        var result = await runner.RunAsync(node.Target(user: SshdFixture.SudoUser), "id -u\n", lines.Add, Long, default);

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(["0"], lines.Of(OutputStream.Stdout));
        Assert.Equal(1, sshd.CountLog(node, $"Accepted publickey for {SshdFixture.SudoUser}"));
    }

    [Fact]
    public async Task Run_NonRootUserWithoutSudoRights_IsAuthFailed()
    {
        var node = await NewNode();
        await using var runner = NewRunner();

        var result = await runner.RunAsync(node.Target(user: SshdFixture.NoSudoUser), "echo must-not-run\n", _ => { }, Long, default);

        Assert.Equal(CommandOutcome.AuthFailed, result.Outcome);
        Assert.Contains("sudo", result.Error);
        Assert.Contains(SshdFixture.NoSudoUser, result.Error);
    }

    [Fact]
    public async Task Run_AcceptsAPrivateKeyWithCrlfLineEndings()
    {
        var node = await NewNode();
        await using var runner = NewRunner();
        var crlf = node.PrivateKeyText.Replace("\n", "\r\n").TrimEnd();

        var result = await runner.RunAsync(node.Target(privateKey: crlf), "true\n", _ => { }, Long, default);

        Assert.True(result.Succeeded, result.Error);
    }

    [Fact]
    public async Task Run_CapsVeryLongLines_AndReplacesBinaryJunk()
    {
        var node = await NewNode();
        await using var runner = NewRunner();
        var lines = new Lines();

        var result = await runner.RunAsync(node.Target(),
            "head -c 200000 /dev/zero | tr '\\0' a; echo\nprintf 'bad\\377\\376\\000end\\r\\n'\necho after\n", lines.Add, Long, default);

        Assert.True(result.Succeeded, result.Error);
        var stdout = lines.Of(OutputStream.Stdout);
        Assert.Equal(3, stdout.Count);
        Assert.StartsWith(new string('a', 1000), stdout[0]);
        Assert.InRange(stdout[0].Length, 64 * 1024, 64 * 1024 + 100);
        Assert.EndsWith("[line cut: 134464 more bytes]", stdout[0]);
        Assert.Equal("bad\uFFFD\uFFFD\uFFFDend", stdout[1]);
        Assert.Equal("after", stdout[2]);
    }

    private static string Fingerprint(string keyLine) =>
        "SHA256:" + Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(Convert.FromBase64String(keyLine.Split(' ')[1]))).TrimEnd('=');

    // "started" is printed just before bash forks the sleep: wait for it to show up, within a deadline.
    private static async Task<bool> BecomesRunning(string uniqueSleepArgument)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!await IsRunning(uniqueSleepArgument))
        {
            if (DateTime.UtcNow > deadline)
                return false;
            await Task.Delay(50);
        }
        return true;
    }

    private static async Task<bool> IsRunning(string uniqueSleepArgument) =>
        (await Pgrep("^sleep " + uniqueSleepArgument.Replace(".", "\\.") + "$")).Count > 0;

    private static async Task<IReadOnlyList<string>> Pgrep(string pattern)
    {
        var (code, text) = await SshdFixture.RunAsync("pgrep", "-a", "-f", pattern);
        return code == 0 ? text.Split('\n', StringSplitOptions.RemoveEmptyEntries) : [];
    }
}
