using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mistral.Console.Core.Execution;

namespace Mistral.Console.Jobs.Ssh;

/// <summary>
/// Runs scripts on nodes through the OpenSSH client. One master connection per node (established
/// alone, so sshd's MaxStartups never sees a burst), sessions multiplexed over it and limited per
/// node to sshd's MaxSessions. Host keys are pinned: an unknown or changed key is refused.
/// The private key exists on disk only while that node's master is open, in a 0600 file in a
/// 0700 directory; scripts travel on stdin. Neither ever appears in argv, exceptions or logs.
/// </summary>
public sealed class OpenSshRunner : ICommandRunner, IAsyncDisposable
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);
    private static readonly TimeSpan MarkerWait = TimeSpan.FromSeconds(1);

    private readonly SshOptions options;
    private readonly ILogger logger;
    private readonly TimeProvider time;
    private readonly PrivateDirectory runtime;
    private readonly ConcurrentDictionary<string, NodeState> nodes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Connection, Task> closing = new();
    private readonly CancellationTokenSource shutdown = new();
    private readonly TaskCompletionSource idle = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int nextConnection;
    private int activeRuns;
    private int disposed;

    public OpenSshRunner(SshOptions options, ILogger<OpenSshRunner>? logger = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxSessionsPerNode, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.ControlPersistSeconds, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.ConnectTimeout, TimeSpan.FromSeconds(1));
        this.options = options;
        this.logger = (ILogger?)logger ?? NullLogger.Instance;
        this.time = time ?? TimeProvider.System;
        runtime = PrivateDirectory.Create(options.RuntimeRoot, this.logger);
    }

    /// <summary>The private 0700 directory holding key files, known_hosts files and control sockets.</summary>
    public string RuntimeDirectory => runtime.Path;

    /// <summary>Runs <paramref name="script"/> with bash on the node (as root; via sudo -n for other
    /// users). Never throws for remote failures: they come back as the outcome. <paramref name="onLine"/>
    /// is never called concurrently. The timeout counts from the moment a session slot is granted.</summary>
    /// <exception cref="ArgumentException">The target has no (or an unreadable) pinned host key.</exception>
    public async Task<CommandResult> RunAsync(
        SshTarget target, string script, Action<OutputLine> onLine, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(script);
        ArgumentNullException.ThrowIfNull(onLine);
        if (timeout <= TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(timeout), "the timeout must be positive or infinite");
        var pins = ValidateTarget(target);

        Interlocked.Increment(ref activeRuns);
        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) == 1, this);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, shutdown.Token);
            return await RunCoreAsync(target, pins, script, onLine, timeout, linked.Token);
        }
        finally
        {
            if (Interlocked.Decrement(ref activeRuns) == 0 && Volatile.Read(ref disposed) == 1)
                idle.TrySetResult();
        }
    }

    private async Task<CommandResult> RunCoreAsync(
        SshTarget target, IReadOnlyList<SshPublicKey> pins, string script, Action<OutputLine> onLine, TimeSpan timeout, CancellationToken ct)
    {
        var started = time.GetTimestamp();
        CommandResult Result(CommandOutcome outcome, int? exitCode, string? error) =>
            new(outcome, exitCode, error, time.GetElapsedTime(started));

        var node = nodes.GetOrAdd(target.NodeId, _ => new NodeState(options.MaxSessionsPerNode));
        try
        {
            await node.Sessions.WaitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return Result(CommandOutcome.Canceled, null, "canceled before the command started");
        }

        try
        {
            var (connection, failure) = await AcquireAsync(node, target, pins, ct);
            if (connection is null)
                return Result(failure!.Value.Outcome, null, failure.Value.Error);
            try
            {
                var session = await RunSessionAsync(connection, target, script, onLine, timeout, ct);
                return Result(session.Outcome, session.ExitCode, session.Error);
            }
            finally
            {
                Release(node, connection);
            }
        }
        finally
        {
            node.Sessions.Release();
        }
    }

    private async Task<(CommandOutcome Outcome, int? ExitCode, string? Error)> RunSessionAsync(
        Connection connection, SshTarget target, string script, Action<OutputLine> onLine, TimeSpan timeout, CancellationToken ct)
    {
        var bytes = Utf8.GetBytes(script);
        var tag = RandomNumberGenerator.GetHexString(12, lowercase: true);
        var sudo = IsSudo(target);
        var arguments = CommonArguments(connection, target);
        arguments.AddRange(["-o", "ControlMaster=no", "--", target.Address, RemoteScripts.Run(tag, bytes.Length, sudo)]);

        var session = new Session(RemoteScripts.MarkerPrefix(tag), onLine, time, logger);
        using var process = ProcessRunner.Start(ProcessRunner.StartInfo(options.SshPath, arguments));
        var exited = process.WaitForExitAsync(CancellationToken.None);
        var stdout = Task.Run(() => LinePump.RunAsync(process.StandardOutput.BaseStream, session.Stdout));
        var stderr = Task.Run(() => LinePump.RunAsync(process.StandardError.BaseStream, session.Stderr));
        _ = WriteScriptAsync(process, bytes, session);

        var stop = new TaskCompletionSource<CommandOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var timer = timeout == Timeout.InfiniteTimeSpan
            ? null
            : time.CreateTimer(_ => stop.TrySetResult(CommandOutcome.TimedOut), null, timeout, Timeout.InfiniteTimeSpan);
        using var canceled = ct.Register(() => stop.TrySetResult(CommandOutcome.Canceled));

        if (await Task.WhenAny(exited, stop.Task) == stop.Task)
        {
            var outcome = await stop.Task;
            var killed = await StopAsync(process, exited, session, connection, target);
            await DrainAsync(stdout, stderr);
            var what = outcome == CommandOutcome.TimedOut ? $"timed out after {timeout}" : "canceled";
            var how = killed switch
            {
                true => "the remote process group was killed",
                false => "the remote process group could not be confirmed killed",
                null => "the script had not started",
            };
            logger.LogWarning("Command on node {Node} {What}; {How}", target.NodeId, what, how);
            return (outcome, null, $"{what}; {how}");
        }

        await DrainAsync(stdout, stderr);
        return Classify(process.ExitCode, session, target, connection.Pins);
    }

    private (CommandOutcome, int?, string?) Classify(int exitCode, Session session, SshTarget target, IReadOnlyList<SshPublicKey> pins)
    {
        if (session.ExitCode is { } remote)
            return (CommandOutcome.Exited, remote, null);
        if (session.Short)
            return (CommandOutcome.Unreachable, null, $"the connection to node {target.NodeId} dropped while sending the script; it was not run");
        if (session.Started)
        {
            // Started but no exit report: the wrapper itself was cut off.
            return exitCode == 255
                ? (CommandOutcome.Unreachable, null, $"the connection to node {target.NodeId} was lost while the script was running")
                : (CommandOutcome.Exited, exitCode, null);
        }
        if (exitCode == 255)
        {
            var (outcome, error) = SshFailure.Classify(target, pins, session.BeforeStart);
            logger.LogWarning("Command on node {Node} failed before it started: {Outcome}", target.NodeId, outcome);
            return (outcome, null, error);
        }
        if (IsSudo(target) && SshFailure.IsSudoFailure(session.BeforeStart))
            return (CommandOutcome.AuthFailed, null, SshFailure.SudoError(target, session.BeforeStart));
        return (CommandOutcome.Exited, exitCode, null);
    }

    /// <summary>Stops a running command: the remote group first (through a separate connection, so
    /// a full session quota cannot block it), then the local client. Returns whether the remote
    /// group is known dead, or null when the script never started.</summary>
    private async Task<bool?> StopAsync(Process process, Task exited, Session session, Connection connection, SshTarget target)
    {
        // Once the whole script is on its way, the start report is at most a round trip away.
        if (!session.Pgid.Task.IsCompleted && session.ScriptSent)
            await Task.WhenAny(session.Pgid.Task, exited, Task.Delay(MarkerWait, time));

        bool? killed = null;
        if (session.Pgid.Task.IsCompletedSuccessfully && !exited.IsCompleted)
        {
            killed = await KillRemoteGroupAsync(connection, target, session.Pgid.Task.Result);
            // The wrapper reports and exits once its group is gone; give it a moment to do so.
            await Task.WhenAny(exited, Task.Delay(TimeSpan.FromSeconds(2), time));
        }
        else if (session.Pgid.Task.IsCompletedSuccessfully)
        {
            killed = true;
        }
        else if (session.ScriptSent)
        {
            logger.LogWarning("Command on node {Node} was stopped before it reported its start; it may still run there", target.NodeId);
            killed = false;
        }
        ProcessRunner.Kill(process);
        await exited;
        return killed;
    }

    private async Task<bool> KillRemoteGroupAsync(Connection connection, SshTarget target, int pgid)
    {
        var arguments = CommonArguments(connection, target, multiplexed: false);
        arguments.AddRange(["--", target.Address, RemoteScripts.Kill(pgid, options.KillGrace, IsSudo(target))]);
        try
        {
            var result = await ProcessRunner.RunAsync(options.SshPath, arguments, null,
                options.ConnectTimeout + options.KillGrace + TimeSpan.FromSeconds(5), CancellationToken.None);
            if (result.ExitCode == 0)
                return true;
            logger.LogWarning("Could not kill process group {Pgid} on node {Node}: exit {Exit}, {Error}",
                pgid, target.NodeId, result.ExitCode, SshFailure.LastLine(result.Stderr.Split('\n')));
        }
        catch (InvalidOperationException e)
        {
            logger.LogWarning("Could not kill process group {Pgid} on node {Node}: {Error}", pgid, target.NodeId, e.Message);
        }
        return false;
    }

    private static async Task WriteScriptAsync(Process process, byte[] bytes, Session session)
    {
        try
        {
            await process.StandardInput.BaseStream.WriteAsync(bytes);
            await process.StandardInput.BaseStream.FlushAsync();
            process.StandardInput.Close();
            session.ScriptSent = true;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // ssh is gone (refused, killed); its exit status and stderr tell the story.
        }
    }

    private static async Task DrainAsync(Task stdout, Task stderr)
    {
        try
        {
            await Task.WhenAll(stdout, stderr).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
            // A descendant of ssh kept a pipe open; the outcome is known, stop reading.
        }
    }


    private async Task<(Connection? Connection, (CommandOutcome Outcome, string Error)? Failure)> AcquireAsync(
        NodeState node, SshTarget target, IReadOnlyList<SshPublicKey> pins, CancellationToken ct)
    {
        var identity = Identity(target);
        try
        {
            await node.Gate.WaitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return (null, (CommandOutcome.Canceled, "canceled before the command started"));
        }
        try
        {
            lock (node.Sync)
            {
                var current = node.Current;
                // A changed key, address or pin must not ride on a master authenticated with the old one.
                if (current is not null && (current.Identity != identity || !File.Exists(current.ControlPath)))
                {
                    node.Current = null;
                    current.Retired = true;
                    if (current.Users == 0)
                        BeginClose(current);
                }
                else if (current is not null)
                {
                    current.Users++;
                    current.IdleTimer?.Dispose();
                    current.IdleTimer = null;
                    return (current, null);
                }
            }

            var (connection, failure) = await OpenAsync(target, identity, pins, ct);
            if (connection is not null)
            {
                lock (node.Sync)
                {
                    connection.Users = 1;
                    node.Current = connection;
                }
            }
            return (connection, failure);
        }
        finally
        {
            node.Gate.Release();
        }
    }

    private void Release(NodeState node, Connection connection)
    {
        lock (node.Sync)
        {
            if (--connection.Users > 0)
                return;
            if (connection.Retired || Volatile.Read(ref disposed) == 1)
            {
                if (node.Current == connection)
                    node.Current = null;
                BeginClose(connection);
                return;
            }
            connection.IdleTimer = time.CreateTimer(_ =>
            {
                lock (node.Sync)
                {
                    if (connection.Users > 0 || node.Current != connection)
                        return;
                    node.Current = null;
                    connection.Retired = true;
                    BeginClose(connection);
                }
            }, null, TimeSpan.FromSeconds(options.ControlPersistSeconds), Timeout.InfiniteTimeSpan);
        }
    }

    private async Task<(Connection?, (CommandOutcome, string)?)> OpenAsync(
        SshTarget target, string identity, IReadOnlyList<SshPublicKey> pins, CancellationToken ct)
    {
        var index = Interlocked.Increment(ref nextConnection).ToString(CultureInfo.InvariantCulture);
        var alias = Alias(target.NodeId);
        var connection = new Connection(
            target.NodeId, identity, alias, pins,
            keyPath: runtime.File(index + ".key"),
            hostsPath: runtime.File(index + ".hosts"),
            controlPath: runtime.File(index + ".sock"));

        WritePrivate(connection.KeyPath, NormalizeKey(target.PrivateKey));
        WritePrivate(connection.HostsPath, string.Concat(pins.Select(p => $"{alias} {p.Line}\n")));

        var arguments = CommonArguments(connection, target);
        arguments.AddRange([
            "-o", "ControlMaster=yes",
            // A safety net only: our own idle timer closes the master first and removes the key file.
            // If this process dies, the orphaned master still goes away by itself.
            "-o", $"ControlPersist={options.ControlPersistSeconds + 30}",
            "-f", "-N", "--", target.Address]);
        try
        {
            var result = await ProcessRunner.RunAsync(options.SshPath, arguments, null,
                options.ConnectTimeout * 2 + TimeSpan.FromSeconds(5), ct);
            if (result.ExitCode == 0 && !result.TimedOut && File.Exists(connection.ControlPath))
            {
                logger.LogInformation("Opened SSH master to node {Node} ({Target})", target.NodeId, target.ToString());
                return (connection, null);
            }
            await CloseAsync(connection);
            if (result.TimedOut)
                return (null, (CommandOutcome.Unreachable, $"cannot reach node {target.NodeId} at {target.Address}:{target.Port}: no answer within {options.ConnectTimeout * 2}"));
            var failure = SshFailure.Classify(target, pins, result.Stderr.Split('\n'));
            logger.LogWarning("SSH to node {Node} failed: {Outcome}", target.NodeId, failure.Outcome);
            return (null, failure);
        }
        catch (OperationCanceledException)
        {
            await CloseAsync(connection);
            return (null, (CommandOutcome.Canceled, "canceled while connecting"));
        }
        catch
        {
            await CloseAsync(connection);
            throw;
        }
    }

    private void BeginClose(Connection connection)
    {
        connection.IdleTimer?.Dispose();
        connection.IdleTimer = null;
        var task = Task.Run(() => CloseAsync(connection));
        closing[connection] = task;
        _ = task.ContinueWith(_ => closing.TryRemove(connection, out Task? _), TaskScheduler.Default);
    }

    private async Task CloseAsync(Connection connection)
    {
        if (File.Exists(connection.ControlPath))
        {
            try
            {
                await ProcessRunner.RunAsync(options.SshPath,
                    ["-F", "/dev/null", "-o", "ControlPath=" + connection.ControlPath, "-O", "exit", "--", connection.Alias],
                    null, TimeSpan.FromSeconds(5), CancellationToken.None);
            }
            catch (InvalidOperationException e)
            {
                logger.LogWarning("Could not close SSH master of node {Node}: {Error}", connection.NodeId, e.Message);
            }
            logger.LogInformation("Closed SSH master to node {Node}", connection.NodeId);
        }
        DeleteQuietly(connection.KeyPath);
        DeleteQuietly(connection.HostsPath);
        DeleteQuietly(connection.ControlPath);
    }

    /// <summary>Closes every master, removes every key file and the runtime directory. Commands
    /// still running are canceled (their remote process groups killed) first.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1)
            return;
        await shutdown.CancelAsync();
        if (Volatile.Read(ref activeRuns) == 0)
            idle.TrySetResult();
        try
        {
            await idle.Task.WaitAsync(options.ConnectTimeout + options.KillGrace + TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            logger.LogWarning("Some SSH commands did not stop in time; closing their connections anyway");
        }

        foreach (var node in nodes.Values)
        {
            lock (node.Sync)
            {
                if (node.Current is { } current)
                {
                    node.Current = null;
                    current.Retired = true;
                    BeginClose(current);
                }
            }
        }
        await Task.WhenAll(closing.Values);
        runtime.Delete();
        // shutdown is not disposed: a command that outlived the wait above may still hold its token.
    }


    private List<string> CommonArguments(Connection connection, SshTarget target, bool multiplexed = true) =>
    [
        // No ssh_config at all: a system or user file must not change trust, keys or multiplexing.
        "-F", "/dev/null",
        "-T", "-x", "-a",
        "-o", "BatchMode=yes",
        "-o", "StrictHostKeyChecking=yes",
        "-o", "UserKnownHostsFile=" + connection.HostsPath,
        "-o", "GlobalKnownHostsFile=/dev/null",
        "-o", "HostKeyAlias=" + connection.Alias,
        "-o", "UpdateHostKeys=no",
        "-o", "CheckHostIP=no",
        "-o", "IdentitiesOnly=yes",
        "-o", "IdentityAgent=none",
        "-o", "IdentityFile=" + connection.KeyPath,
        "-o", "PreferredAuthentications=publickey",
        "-o", "ConnectTimeout=" + Seconds(options.ConnectTimeout),
        "-o", "ServerAliveInterval=" + Seconds(options.ServerAliveInterval),
        "-o", "ServerAliveCountMax=3",
        "-o", "ControlPath=" + (multiplexed ? connection.ControlPath : "none"),
        "-o", "LogLevel=ERROR",
        "-p", target.Port.ToString(CultureInfo.InvariantCulture),
        "-l", target.User,
    ];

    private static string Seconds(TimeSpan span) =>
        Math.Max(1, (int)Math.Ceiling(span.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    private static bool IsSudo(SshTarget target) => target.User != "root";

    private static IReadOnlyList<SshPublicKey> ValidateTarget(SshTarget target)
    {
        if (string.IsNullOrWhiteSpace(target.PinnedHostKey))
            throw new ArgumentException(
                $"node {target.NodeId} has no pinned host key; scan the node and accept its key before running commands", nameof(target));
        var pins = SshPublicKey.ParseAll(target.PinnedHostKey);
        if (pins.Count == 0)
            throw new ArgumentException($"the pinned host key of node {target.NodeId} is not a public key line (\"ssh-ed25519 AAAA...\")", nameof(target));
        // Everything below reaches ssh's argv: refuse what could be read as an option or token.
        if (target.Address.Length == 0 || target.Address[0] == '-' || !target.Address.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or ':' or '-' or '_' or '%' or '[' or ']'))
            throw new ArgumentException($"node {target.NodeId} has an invalid address", nameof(target));
        if (target.User.Length == 0 || target.User[0] == '-' || !target.User.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'))
            throw new ArgumentException($"node {target.NodeId} has an invalid user name", nameof(target));
        if (target.Port is < 1 or > 65535)
            throw new ArgumentException($"node {target.NodeId} has an invalid port", nameof(target));
        if (string.IsNullOrWhiteSpace(target.PrivateKey))
            throw new ArgumentException($"node {target.NodeId} has no private key", nameof(target));
        return pins;
    }

    private static string Identity(SshTarget target)
    {
        var text = string.Join('\0', target.NodeId, target.Address, target.Port, target.User, NormalizeKey(target.PrivateKey), target.PinnedHostKey);
        return Convert.ToHexString(SHA256.HashData(Utf8.GetBytes(text)));
    }

    private static string Alias(string nodeId)
    {
        var safe = new string(nodeId.Where(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_').Take(40).ToArray());
        return safe == nodeId ? "mc-" + safe : "mc-" + safe + "-" + Convert.ToHexString(SHA256.HashData(Utf8.GetBytes(nodeId)))[..8].ToLowerInvariant();
    }

    /// <summary>Keys pasted from Windows come with CRLF; ssh wants LF and a final newline.</summary>
    internal static string NormalizeKey(string key) => key.Replace("\r\n", "\n").Replace('\r', '\n').Trim() + "\n";

    private static void WritePrivate(string path, string content)
    {
        // Created 0600 by open(2) itself: there is no moment at which the file is readable by others.
        using var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        stream.Write(Utf8.GetBytes(content));
    }

    private static void DeleteQuietly(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    private sealed class NodeState(int maxSessions)
    {
        public SemaphoreSlim Sessions { get; } = new(maxSessions, maxSessions);
        public SemaphoreSlim Gate { get; } = new(1, 1);
        public object Sync { get; } = new();
        public Connection? Current { get; set; }
    }

    // A class, not a record: it is a dictionary key and its counters change.
    private sealed class Connection(
        string nodeId, string identity, string alias, IReadOnlyList<SshPublicKey> pins,
        string keyPath, string hostsPath, string controlPath)
    {
        public string NodeId { get; } = nodeId;
        public string Identity { get; } = identity;
        public string Alias { get; } = alias;
        public IReadOnlyList<SshPublicKey> Pins { get; } = pins;
        public string KeyPath { get; } = keyPath;
        public string HostsPath { get; } = hostsPath;
        public string ControlPath { get; } = controlPath;
        public int Users { get; set; }
        public bool Retired { get; set; }
        public ITimer? IdleTimer { get; set; }
    }

    /// <summary>Output of one command: lines go to the caller one at a time; the wrapper's own
    /// reports (tagged with a per-run random marker) are taken out of stderr.</summary>
    private sealed class Session(string marker, Action<OutputLine> onLine, TimeProvider time, ILogger logger)
    {
        private readonly object gate = new();
        private readonly List<string> beforeStart = [];
        private bool callbackFailed;

        public TaskCompletionSource<int> Pgid { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public bool Started => Pgid.Task.IsCompleted;
        public bool Short { get; private set; }
        public int? ExitCode { get; private set; }
        public volatile bool ScriptSent;

        public IReadOnlyList<string> BeforeStart
        {
            get
            {
                lock (gate)
                    return beforeStart.ToArray();
            }
        }

        public void Stdout(string text) => Deliver(OutputStream.Stdout, text);

        public void Stderr(string text)
        {
            if (text.StartsWith(marker, StringComparison.Ordinal))
            {
                var report = text[marker.Length..];
                if (report.StartsWith("pgid ", StringComparison.Ordinal) && int.TryParse(report[5..], NumberStyles.None, CultureInfo.InvariantCulture, out var pgid) && pgid > 1)
                    Pgid.TrySetResult(pgid);
                else if (report.StartsWith("exit ", StringComparison.Ordinal) && int.TryParse(report[5..], NumberStyles.None, CultureInfo.InvariantCulture, out var code))
                    ExitCode = code;
                else if (report == "short")
                    Short = true;
                return;
            }
            if (!Started)
            {
                lock (gate)
                {
                    if (beforeStart.Count < 50)
                        beforeStart.Add(text);
                }
            }
            Deliver(OutputStream.Stderr, text);
        }

        private void Deliver(OutputStream stream, string text)
        {
            lock (gate)
            {
                try
                {
                    onLine(new OutputLine(time.GetUtcNow(), stream, text));
                }
                catch (Exception e)
                {
                    // A broken log sink must not kill a deployment step half-way.
                    if (!callbackFailed)
                        logger.LogError(e, "The output callback failed; further failures of this command are not logged");
                    callbackFailed = true;
                }
            }
        }
    }
}
