using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mistral.Console.Core.Execution;

namespace Mistral.Console.Jobs.Ssh;

/// <summary>Fetches a node's host keys with ssh-keyscan for trust on first use. The caller shows the
/// fingerprint, and records the accepted key as <see cref="SshTarget.PinnedHostKey"/>.</summary>
public sealed class SshKeyScanner(SshOptions options, ILogger<SshKeyScanner>? logger = null) : IHostKeyScanner
{
    private readonly ILogger logger = (ILogger?)logger ?? NullLogger.Instance;

    /// <summary>Ed25519 first, then ECDSA, then RSA. Empty when the node does not answer.</summary>
    public async Task<IReadOnlyList<HostKey>> ScanAsync(string address, int port, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(address);
        if (address[0] == '-' || !address.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or ':' or '-' or '_' or '%'))
            throw new ArgumentException("not a host name or IP address", nameof(address));
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);

        var seconds = Math.Max(1, (int)Math.Ceiling(options.ConnectTimeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        var result = await ProcessRunner.RunAsync(options.KeyscanPath,
            ["-p", port.ToString(CultureInfo.InvariantCulture), "-T", seconds, "--", address],
            null, options.ConnectTimeout * 3 + TimeSpan.FromSeconds(5), cancellationToken);
        if (result.TimedOut)
            logger.LogWarning("ssh-keyscan of {Address}:{Port} did not finish in time", address, port);

        var keys = SshPublicKey.ParseAll(result.Stdout)
            .OrderBy(k => SshPublicKey.Preference(k.Algorithm))
            .Select(k => new HostKey(k.Algorithm, k.Base64, k.Fingerprint))
            .ToList();
        if (keys.Count == 0)
            logger.LogInformation("No host key from {Address}:{Port}: {Error}", address, port, SshFailure.LastLine(result.Stderr.Split('\n')));
        return keys;
    }
}
