using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;

namespace Mistral.Console.Jobs.Ssh;

/// <summary>A 0700 directory owned by this process for key files, known_hosts files and control
/// sockets. It is created with mkdir(2) under an unpredictable name, so it can neither pre-exist nor
/// be swapped by another user, even directly under /tmp.</summary>
internal sealed class PrivateDirectory
{
    private const string OwnerFile = "owner";
    // sun_path is 108 bytes on Linux (104 on BSDs); ssh binds "<ControlPath>.<16 random chars>" first.
    private const int MaxSocketPath = 103;
    private const int SocketTempSuffix = 17;
    private const int LongestSocketName = 10; // "99999.sock"

    private PrivateDirectory(string path) => Path = path;

    public string Path { get; }

    public static PrivateDirectory Create(string? root, ILogger logger)
    {
        root = string.IsNullOrWhiteSpace(root) ? DefaultRoot() : System.IO.Path.GetFullPath(root);
        if (!Directory.Exists(root))
            Directory.CreateDirectory(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var uid = geteuid();
        var prefix = $"mistral-console-{uid}-";
        RemoveStale(root, prefix, logger);

        for (var attempt = 0; ; attempt++)
        {
            var path = System.IO.Path.Combine(root, prefix + RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz0123456789", 8));
            if (path.Length + 1 + LongestSocketName + SocketTempSuffix > MaxSocketPath)
                throw new InvalidOperationException(
                    $"the SSH runtime root '{root}' is too long for unix control sockets; configure a shorter {SshOptions.Section}:RuntimeRoot");
            if (path.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'' or '%' or '\\'))
                throw new InvalidOperationException($"the SSH runtime root '{root}' must not contain spaces, quotes, '%' or '\\'");

            if (mkdir(path, 0b111_000_000) == 0)
            {
                System.IO.File.WriteAllText(System.IO.Path.Combine(path, OwnerFile), Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
                return new PrivateDirectory(path);
            }
            var errno = Marshal.GetLastPInvokeError();
            if (errno != 17 /* EEXIST */ || attempt > 10)
                throw new IOException($"cannot create the SSH runtime directory under '{root}' (errno {errno})");
        }
    }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Delete()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    private static string DefaultRoot()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
        return !string.IsNullOrEmpty(xdg) && Directory.Exists(xdg) ? xdg : "/tmp";
    }

    // A crashed process leaves its key files behind: remove directories whose owner process is gone.
    private static void RemoveStale(string root, string prefix, ILogger logger)
    {
        foreach (var dir in new DirectoryInfo(root).EnumerateDirectories(prefix + "*"))
        {
            try
            {
                if (dir.LinkTarget is not null || dir.UnixFileMode != (UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute))
                    continue;
                var owner = System.IO.Path.Combine(dir.FullName, OwnerFile);
                if (!System.IO.File.Exists(owner) || !int.TryParse(System.IO.File.ReadAllText(owner), out var pid) || Directory.Exists($"/proc/{pid}"))
                    continue;
                dir.Delete(recursive: true);
                logger.LogInformation("Removed stale SSH runtime directory {Directory} of exited process {Pid}", dir.FullName, pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                logger.LogWarning("Could not remove stale SSH runtime directory {Directory}: {Error}", dir.FullName, e.Message);
            }
        }
    }

    // DllImport rather than LibraryImport: the generated stubs would need AllowUnsafeBlocks.
    [DllImport("libc", SetLastError = true)]
    private static extern int mkdir([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode);

    [DllImport("libc")]
    private static extern uint geteuid();
}
