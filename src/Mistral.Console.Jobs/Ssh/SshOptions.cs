namespace Mistral.Console.Jobs.Ssh;

/// <summary>The "MistralConsole:Ssh" configuration section.</summary>
public sealed record SshOptions
{
    public const string Section = "MistralConsole:Ssh";

    /// <summary>Where the private runtime directory (keys, known_hosts, control sockets) is created.
    /// Default: $XDG_RUNTIME_DIR, else /tmp. Keep it short: control sockets must fit in ~104 bytes.</summary>
    public string? RuntimeRoot { get; init; }

    /// <summary>TCP connect and SSH handshake limit (ssh ConnectTimeout; ssh-keyscan -T).</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Concurrent sessions per node; must not exceed the node's sshd MaxSessions (default 10).</summary>
    public int MaxSessionsPerNode { get; init; } = 10;

    /// <summary>An idle master connection is closed (and its key file removed) after this many seconds.</summary>
    public int ControlPersistSeconds { get; init; } = 60;

    /// <summary>Keep-alive probe interval; three missed probes drop a dead connection.</summary>
    public TimeSpan ServerAliveInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Time between TERM and KILL when a timed-out or canceled remote process group is stopped.</summary>
    public TimeSpan KillGrace { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Directory holding ssh, ssh-keyscan and ssh-keygen.</summary>
    public string ClientDirectory { get; init; } = "/usr/bin";

    internal string SshPath => Path.Combine(ClientDirectory, "ssh");
    internal string KeyscanPath => Path.Combine(ClientDirectory, "ssh-keyscan");
    internal string KeygenPath => Path.Combine(ClientDirectory, "ssh-keygen");
}
