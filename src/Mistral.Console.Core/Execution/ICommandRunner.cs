namespace Mistral.Console.Core.Execution;

/// <summary>Where and as whom a script runs. The private key is plain text in memory only;
/// the runner decides how it reaches the ssh process (never argv).</summary>
public sealed record SshTarget(
    string NodeId,
    string Address,
    int Port,
    string User,
    string PrivateKey,
    string? PinnedHostKey)
{
    // The key must never show up in logs or exceptions by accident.
    public override string ToString() => $"{User}@{Address}:{Port} (node {NodeId})";
}

public enum OutputStream { Stdout, Stderr }

public readonly record struct OutputLine(DateTimeOffset At, OutputStream Stream, string Text);

/// <summary>How a command ended. Only <see cref="Exited"/> means the script ran to its end;
/// every other value is an "error" in the deployment sense (could not run, or was cut off).</summary>
public enum CommandOutcome
{
    /// <summary>The script ran and exited; see the exit code.</summary>
    Exited,
    /// <summary>It ran longer than its timeout; the remote process group was killed.</summary>
    TimedOut,
    /// <summary>Canceled by the caller (stop with kill); the remote process group was killed.</summary>
    Canceled,
    /// <summary>No TCP connection, DNS failure, or the connection dropped.</summary>
    Unreachable,
    /// <summary>The node refused our key (or sudo -n needs a password).</summary>
    AuthFailed,
    /// <summary>The node presented a host key other than the pinned one.</summary>
    HostKeyChanged,
}

public sealed record CommandResult(CommandOutcome Outcome, int? ExitCode, string? Error, TimeSpan Duration)
{
    public bool Succeeded => Outcome == CommandOutcome.Exited && ExitCode == 0;
}

/// <summary>Runs a shell script on a node. The script travels on stdin, never in argv.</summary>
public interface ICommandRunner
{
    Task<CommandResult> RunAsync(
        SshTarget target,
        string script,
        Action<OutputLine> onLine,
        TimeSpan timeout,
        CancellationToken cancellationToken);
}

/// <summary>A host key as offered by a node, for the admin to accept (trust on first use).</summary>
public sealed record HostKey(string Algorithm, string PublicKey, string Fingerprint)
{
    /// <summary>The known_hosts form without the host part: "ssh-ed25519 AAAA...".</summary>
    public string Line => $"{Algorithm} {PublicKey}";
}

public interface IHostKeyScanner
{
    /// <summary>Fetches the node's host keys (ssh-keyscan). Empty when the node does not answer.</summary>
    Task<IReadOnlyList<HostKey>> ScanAsync(string address, int port, CancellationToken cancellationToken);
}
