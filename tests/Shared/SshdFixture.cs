using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Mistral.Console.Core.Execution;
using Xunit;

namespace Mistral.Console.Tests.Shared;

/// <summary>A node served by its own sshd on its own loopback address (127.1.x.y). <see cref="HostKeyLine"/> is "ssh-ed25519 AAAA...".</summary>
public sealed record SshNode(string Name, string Address, int Port, string User, string PrivateKeyText, string HostKeyLine)
{
    /// <summary>A target for the runner, pinned to this node's current host key.</summary>
    public SshTarget Target(string? user = null, string? privateKey = null, string? pinnedHostKey = null) =>
        new(Name, Address, Port, user ?? User, privateKey ?? PrivateKeyText, pinnedHostKey ?? HostKeyLine);
}

/// <summary>
/// Real sshd instances, one per node, on free loopback ports. Installs openssh-server (and sudo) with
/// apt when missing. One ed25519 user key is authorized for root and for the two test users:
/// <see cref="SudoUser"/> (passwordless sudo) and <see cref="NoSudoUser"/> (no sudo rights).
/// Use it as an xunit collection fixture: <c>[Collection(SshdCollection.Name)]</c>.
/// </summary>
public sealed class SshdFixture : IAsyncLifetime
{
    public const string SudoUser = "mcdeploy";
    public const string NoSudoUser = "mcnosudo";

    private const string Sshd = "/usr/sbin/sshd";
    private readonly ConcurrentDictionary<string, Instance> instances = new();
    private string dir = "";
    private int nodes;

    public string PrivateKeyText { get; private set; } = "";
    public string PublicKeyLine { get; private set; } = "";

    public async Task InitializeAsync()
    {
        await EnsurePackageAsync(Sshd, "openssh-server");
        await EnsurePackageAsync("/usr/bin/sudo", "sudo");
        Directory.CreateDirectory("/run/sshd"); // privilege separation directory
        await EnsureUserAsync(SudoUser, sudo: true);
        await EnsureUserAsync(NoSudoUser, sudo: false);

        // sshd reads authorized_keys as the target user: the directory must be traversable.
        dir = Directory.CreateTempSubdirectory("sshd-fixture-").FullName;
        File.SetUnixFileMode(dir, (UnixFileMode)Convert.ToInt32("755", 8));
        (PrivateKeyText, PublicKeyLine) = await NewKeyPairAsync("user");
        var authorized = Path.Combine(dir, "authorized_keys");
        await File.WriteAllTextAsync(authorized, PublicKeyLine + "\n");
        File.SetUnixFileMode(authorized, (UnixFileMode)Convert.ToInt32("644", 8));
    }

    public async Task DisposeAsync()
    {
        foreach (var instance in instances.Values)
            await instance.StopAsync();
        instances.Clear();
        if (dir.Length > 0)
            Directory.Delete(dir, recursive: true);
    }

    /// <summary>Starts an sshd for <paramref name="name"/> with a fresh host key and waits until it listens.</summary>
    /// <param name="extraHostKeys">Also serve ECDSA and RSA host keys (Ed25519 stays the pinned one).</param>
    public async Task<SshNode> StartNodeAsync(string name, bool extraHostKeys = false)
    {
        // Starting a name again replaces its sshd rather than leaking the old one.
        if (instances.TryRemove(name, out var previous))
            await previous.StopAsync();
        var nodeDir = Path.Combine(dir, name);
        Directory.CreateDirectory(nodeDir);
        File.SetUnixFileMode(nodeDir, (UnixFileMode)Convert.ToInt32("755", 8));
        foreach (var old in Directory.GetFiles(nodeDir, "host_*"))
            File.Delete(old);
        await NewHostKeyAsync(nodeDir);
        if (extraHostKeys)
        {
            await NewHostKeyAsync(nodeDir, "ecdsa");
            await NewHostKeyAsync(nodeDir, "rsa");
        }
        // Each node gets its own loopback address (all of 127/8 reaches lo), so an environment can
        // hold many fixture nodes while node addresses stay unique, as the product requires.
        var n = Interlocked.Increment(ref nodes);
        var address = $"127.1.{n / 250}.{n % 250 + 1}";
        for (var attempt = 0; ; attempt++)
        {
            var instance = new Instance(name, nodeDir, address, FreePort(address));
            try
            {
                await instance.StartAsync();
                instances[name] = instance;
                return await NodeAsync(instance);
            }
            catch (InvalidOperationException) when (attempt < 3)
            {
                // Somebody took the free port between our probe and sshd's bind: try another.
            }
        }
    }

    public SshNode StartNode(string name) => StartNodeAsync(name).GetAwaiter().GetResult();

    /// <summary>Kills the node's sshd and all its sessions: the node becomes unreachable.</summary>
    public async Task StopNodeAsync(SshNode node)
    {
        if (instances.TryRemove(node.Name, out var instance))
            await instance.StopAsync();
    }

    /// <summary>Gives the node a new host key and restarts its sshd on the same port.</summary>
    public async Task<SshNode> RegenerateHostKeyAsync(SshNode node)
    {
        var instance = instances[node.Name];
        await instance.StopAsync();
        await NewHostKeyAsync(instance.Dir);
        var restarted = new Instance(node.Name, instance.Dir, instance.Address, node.Port);
        await restarted.StartAsync();
        instances[node.Name] = restarted;
        return await NodeAsync(restarted);
    }

    /// <summary>How many sshd log lines (sshd -e, level INFO) of this node contain <paramref name="text"/>,
    /// e.g. "Accepted publickey" counts TCP connections that authenticated.</summary>
    public int CountLog(SshNode node, string text) =>
        instances.TryGetValue(node.Name, out var instance) ? instance.Log.Count(l => l.Contains(text, StringComparison.Ordinal)) : 0;

    public string HostKeyPublicPath(SshNode node) => Path.Combine(dir, node.Name, "host_ed25519_key.pub");

    /// <summary>A fresh ed25519 key pair (private text, public line), not authorized anywhere.</summary>
    public async Task<(string PrivateKey, string PublicKey)> NewKeyPairAsync(string name, string passphrase = "")
    {
        var path = Path.Combine(dir, $"{name}-{Guid.NewGuid():N}");
        await RunAsync("ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", name, "-f", path);
        var pair = (await File.ReadAllTextAsync(path), (await File.ReadAllTextAsync(path + ".pub")).Trim());
        File.Delete(path);
        File.Delete(path + ".pub");
        return pair;
    }

    public static async Task<(int ExitCode, string Output)> RunAsync(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        info.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }

    private async Task<SshNode> NodeAsync(Instance instance)
    {
        var pub = (await File.ReadAllTextAsync(Path.Combine(instance.Dir, "host_ed25519_key.pub"))).Split(' ');
        return new SshNode(instance.Name, instance.Address, instance.Port, "root", PrivateKeyText, $"{pub[0]} {pub[1]}");
    }

    private static async Task NewHostKeyAsync(string nodeDir, string type = "ed25519")
    {
        var key = Path.Combine(nodeDir, $"host_{type}_key");
        File.Delete(key);
        File.Delete(key + ".pub");
        var (code, output) = await RunAsync("ssh-keygen", "-q", "-t", type, "-N", "", "-f", key);
        if (code != 0)
            throw new InvalidOperationException($"ssh-keygen failed: {output}");
    }

    private static int FreePort(string address)
    {
        using var listener = new TcpListener(IPAddress.Parse(address), 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task EnsurePackageAsync(string file, string package)
    {
        if (File.Exists(file))
            return;
        var (code, _) = await RunAsync("apt-get", "install", "-y", "-q", package);
        if (code != 0)
        {
            await RunAsync("apt-get", "update", "-q");
            var (retry, output) = await RunAsync("apt-get", "install", "-y", "-q", package);
            if (retry != 0)
                throw new InvalidOperationException($"cannot install {package}: {output}");
        }
    }

    private static async Task EnsureUserAsync(string user, bool sudo)
    {
        if ((await RunAsync("id", "-u", user)).ExitCode != 0)
        {
            var (code, output) = await RunAsync("useradd", "-m", "-s", "/bin/bash", user);
            if (code != 0 && (await RunAsync("id", "-u", user)).ExitCode != 0)
                throw new InvalidOperationException($"useradd {user} failed: {output}");
        }
        // useradd leaves the password "!" (locked); sshd without PAM refuses locked accounts even for keys.
        await RunAsync("usermod", "-p", "*", user);
        if (sudo)
        {
            var path = $"/etc/sudoers.d/mistral-console-tests-{user}";
            await File.WriteAllTextAsync(path, $"{user} ALL=(ALL) NOPASSWD:ALL\n");
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.GroupRead);
        }
    }

    private sealed class Instance(string name, string dir, string address, int port)
    {
        private readonly TaskCompletionSource listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private Process? process;

        public string Name { get; } = name;
        public string Dir { get; } = dir;
        public int Port { get; } = port;
        public string Address { get; } = address;
        public ConcurrentQueue<string> Log { get; } = new();

        public async Task StartAsync()
        {
            var config = Path.Combine(Dir, "sshd_config");
            await File.WriteAllTextAsync(config, $"""
                ListenAddress {Address}
                Port {Port}
                {string.Join("\n", HostKeys().Select(k => "HostKey " + k))}
                AuthorizedKeysFile {Path.Combine(Path.GetDirectoryName(Dir)!, "authorized_keys")}
                StrictModes no
                PermitRootLogin prohibit-password
                PasswordAuthentication no
                KbdInteractiveAuthentication no
                UsePAM no
                PidFile {Path.Combine(Dir, "sshd.pid")}
                MaxSessions 10
                MaxStartups 100:30:200
                LogLevel INFO

                """);
            var info = new ProcessStartInfo(Sshd) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var arg in new[] { "-D", "-e", "-f", config })
                info.ArgumentList.Add(arg);
            process = Process.Start(info)!;
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is null)
                    return;
                Log.Enqueue(e.Data);
                if (e.Data.Contains($"Server listening on {Address} port {Port}", StringComparison.Ordinal))
                    listening.TrySetResult();
            };
            process.BeginErrorReadLine();
            process.BeginOutputReadLine();
            process.EnableRaisingEvents = true;
            process.Exited += (_, _) => listening.TrySetException(
                new InvalidOperationException($"sshd for {Name} exited: {string.Join(" | ", Log)}"));
            await listening.Task.WaitAsync(TimeSpan.FromSeconds(20));
        }

        private IEnumerable<string> HostKeys() =>
            new[] { "ed25519", "ecdsa", "rsa" }.Select(t => Path.Combine(Dir, $"host_{t}_key")).Where(File.Exists);

        public async Task StopAsync()
        {
            if (process is null)
                return;
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }
            await process.WaitForExitAsync();
            process.Dispose();
            process = null;
        }
    }
}

[CollectionDefinition(Name)]
public sealed class SshdCollection : ICollectionFixture<SshdFixture>
{
    public const string Name = "sshd";
}
