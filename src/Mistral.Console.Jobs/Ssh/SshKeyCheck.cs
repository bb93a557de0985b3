using System.Text;

namespace Mistral.Console.Jobs.Ssh;

/// <summary>What a pasted private key turned out to be. <see cref="PublicKey"/> is the
/// authorized_keys line to install on nodes.</summary>
public sealed record SshKeyCheckResult(bool IsValid, string? PublicKey, string? Error)
{
    public override string ToString() => IsValid ? $"valid ({PublicKey})" : $"invalid ({Error})";
}

/// <summary>Validates a private key without connecting anywhere: ssh-keygen derives its public key.</summary>
public static class SshKeyCheck
{
    public const string PassphraseError = "the key is protected by a passphrase; paste an unencrypted key or use ssh-agent";
    public const string FormatError = "not a private key in OpenSSH or PEM format";

    public static async Task<SshKeyCheckResult> CheckAsync(string privateKey, CancellationToken cancellationToken = default, string sshKeygenPath = "/usr/bin/ssh-keygen")
    {
        ArgumentNullException.ThrowIfNull(privateKey);
        var key = OpenSshRunner.NormalizeKey(privateKey);
        if (key.Length > 64 * 1024 || !key.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
            return new SshKeyCheckResult(false, null, FormatError);
        if (key.Contains("ENCRYPTED", StringComparison.Ordinal))
            return new SshKeyCheckResult(false, null, PassphraseError);

        // The key sits on disk only for the duration of ssh-keygen, 0600 in a 0700 directory.
        var dir = Directory.CreateTempSubdirectory("mc-keycheck-");
        try
        {
            var path = Path.Combine(dir.FullName, "key");
            await using (var stream = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            }))
            {
                await stream.WriteAsync(Encoding.UTF8.GetBytes(key), cancellationToken);
            }

            // -P '' makes an encrypted key fail at once instead of prompting for a passphrase.
            var result = await ProcessRunner.RunAsync(sshKeygenPath, ["-y", "-P", "", "-f", path],
                null, TimeSpan.FromSeconds(15), cancellationToken);
            if (result.ExitCode == 0 && SshPublicKey.TryParse(result.Stdout.Trim(), out var publicKey))
                return new SshKeyCheckResult(true, publicKey.Line, null);
            if (result.Stderr.Contains("passphrase", StringComparison.OrdinalIgnoreCase))
                return new SshKeyCheckResult(false, null, PassphraseError);
            return new SshKeyCheckResult(false, null, FormatError);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
