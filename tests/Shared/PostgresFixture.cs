using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;
using Xunit;

namespace Mistral.Console.Tests.Shared;

/// <summary>
/// A throw-away PostgreSQL cluster: Debian's server binaries (installed with apt when missing),
/// initdb into a temp directory as the postgres user, listening on a free loopback port.
/// Each test asks for a fresh database.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private string _dir = "";
    private Process? _server;
    private int _databases;

    public int Port { get; private set; }
    public string AdminConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=false";

    public async Task InitializeAsync()
    {
        var bin = FindBin() ?? await InstallAsync();
        _dir = Directory.CreateTempSubdirectory("pg-fixture-").FullName;
        File.SetUnixFileMode(_dir, (UnixFileMode)Convert.ToInt32("755", 8));
        var data = Path.Combine(_dir, "data");
        await RunAsync("chown", "postgres:postgres", _dir);
        await RunAsync("runuser", "-u", "postgres", "--", Path.Combine(bin, "initdb"), "-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8");
        Port = FreePort();
        _server = Process.Start(new ProcessStartInfo("runuser")
        {
            ArgumentList = { "-u", "postgres", "--", Path.Combine(bin, "postgres"), "-D", data, "-p", Port.ToString(), "-k", _dir,
                "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=200" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        _server.OutputDataReceived += (_, _) => { };
        _server.ErrorDataReceived += (_, _) => { };
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                await using var c = new NpgsqlConnection(AdminConnectionString);
                await c.OpenAsync();
                return;
            }
            catch (Exception) when (DateTime.UtcNow < deadline && !_server.HasExited)
            {
                await Task.Delay(200);
            }
        }
    }

    /// <summary>A new empty database; returns its connection string.</summary>
    public async Task<string> NewDatabaseAsync()
    {
        var name = $"t{Interlocked.Increment(ref _databases)}_{Guid.NewGuid():N}"[..20];
        await using var c = new NpgsqlConnection(AdminConnectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", c);
        await cmd.ExecuteNonQueryAsync();
        return $"Host=127.0.0.1;Port={Port};Username=postgres;Database={name}";
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_server is { HasExited: false })
        {
            _server.Kill(entireProcessTree: true);
            await _server.WaitForExitAsync();
        }
        if (_dir.Length > 0) try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    private static string? FindBin() =>
        Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb"))).OrderDescending().FirstOrDefault()
            : null;

    private static async Task<string> InstallAsync()
    {
        await RunAsync("apt-get", "update", "-q");
        await RunAsync("apt-get", "install", "-y", "-q", "--no-install-recommends", "postgresql");
        return FindBin() ?? throw new InvalidOperationException("postgresql installed, but no initdb under /usr/lib/postgresql");
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static async Task RunAsync(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {p.ExitCode}: {await stderr}{await stdout}");
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "postgres";
}
