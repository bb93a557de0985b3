using System.Diagnostics;
using Mistral.Console.Core.Environments;

namespace Mistral.Console.Tests.Shared;

/// <summary>
/// Test stand-in for the product's IKeyInspector until Jobs registers its own: the same real check
/// (ssh-keygen -y on a 0600 temp file), nothing faked. Registered with TryAdd, so the product's
/// implementation wins as soon as it exists.
/// </summary>
public sealed class SshKeygenKeyInspector : IKeyInspector
{
    public async Task<(string? PublicKey, string? Error)> InspectAsync(string privateKey, CancellationToken cancellationToken)
    {
        var dir = Directory.CreateTempSubdirectory("mc-test-key-");
        try
        {
            var path = Path.Combine(dir.FullName, "key");
            var text = privateKey.Replace("\r\n", "\n").Trim() + "\n";
            await using (var f = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            }))
            await using (var w = new StreamWriter(f))
                await w.WriteAsync(text);

            var psi = new ProcessStartInfo("ssh-keygen") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
            foreach (var a in new[] { "-y", "-P", "", "-f", path }) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            p.StandardInput.Close();
            var stdout = await p.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = await p.StandardError.ReadToEndAsync(cancellationToken);
            await p.WaitForExitAsync(cancellationToken);
            if (p.ExitCode == 0 && (stdout.StartsWith("ssh-", StringComparison.Ordinal) || stdout.StartsWith("ecdsa-", StringComparison.Ordinal)))
                return (stdout.Trim(), null);
            return stderr.Contains("passphrase", StringComparison.OrdinalIgnoreCase)
                ? (null, "The key is protected by a passphrase; use a key without one.")
                : (null, "Not a private key in OpenSSH or PEM format.");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}

/// <summary>Real key pairs made with ssh-keygen for the tests.</summary>
public static class TestKeys
{
    private static readonly Lazy<string> Plain = new(() => Generate(""));
    private static readonly Lazy<string> Protected = new(() => Generate("a passphrase"));

    public static string Ed25519 => Plain.Value;
    public static string WithPassphrase => Protected.Value;

    public static string Generate(string passphrase)
    {
        var dir = Directory.CreateTempSubdirectory("mc-test-keygen-");
        try
        {
            var path = Path.Combine(dir.FullName, "id");
            var psi = new ProcessStartInfo("ssh-keygen") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "-q", "-t", "ed25519", "-N", passphrase, "-C", "mistral-console-test", "-f", path }) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            p.WaitForExit();
            if (p.ExitCode != 0) throw new InvalidOperationException("ssh-keygen failed: " + p.StandardError.ReadToEnd());
            return File.ReadAllText(path);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}

/// <summary>A clock the test moves by hand (the only fake besides randomness).</summary>
public sealed class TestClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public TestClock() : this(DateTimeOffset.UtcNow) { }

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
