using System.Text.RegularExpressions;
using Mistral.Console.Core.Execution;

namespace Mistral.Console.Jobs.Ssh;

/// <summary>Turns what ssh (or sudo) printed before the script started into an outcome and a short message.</summary>
internal static partial class SshFailure
{
    private static readonly string[] HostKeyPatterns =
    [
        "REMOTE HOST IDENTIFICATION HAS CHANGED",
        "Host key verification failed",
        "host key mismatch",
        "No matching host key type found",
    ];

    private static readonly string[] AuthPatterns =
    [
        "Permission denied",
        "Too many authentication failures",
        "no mutual signature algorithm",
    ];

    private static readonly string[] SudoPatterns =
    [
        "sudo: a password is required",
        "is not in the sudoers file",
        "is not allowed to run sudo",
        "may not run sudo",
        "sudo: a terminal is required",
        "sudo: command not found",
        "sudo: not found",
    ];

    public static (CommandOutcome Outcome, string Error) Classify(SshTarget target, IReadOnlyList<SshPublicKey> pins, IReadOnlyList<string> stderr)
    {
        var text = string.Join('\n', stderr);
        if (HostKeyPatterns.Any(p => text.Contains(p, StringComparison.OrdinalIgnoreCase)))
        {
            var expected = string.Join(" or ", pins.Select(p => p.Fingerprint));
            var got = FingerprintPattern().Match(text);
            var offered = got.Success ? $", got {got.Value}" : "";
            return (CommandOutcome.HostKeyChanged,
                $"host key changed for node {target.NodeId}: expected {expected}{offered}; refusing (re-scan and accept the new key if the change is legitimate)");
        }
        if (AuthPatterns.Any(p => text.Contains(p, StringComparison.OrdinalIgnoreCase)))
            return (CommandOutcome.AuthFailed,
                $"node {target.NodeId} refused the key for user {target.User} ({LastLine(stderr)})");
        return (CommandOutcome.Unreachable, $"cannot reach node {target.NodeId} at {target.Address}:{target.Port}: {LastLine(stderr)}");
    }

    public static bool IsSudoFailure(IReadOnlyList<string> stderr) =>
        stderr.Any(line => SudoPatterns.Any(p => line.Contains(p, StringComparison.OrdinalIgnoreCase)));

    public static string SudoError(SshTarget target, IReadOnlyList<string> stderr) =>
        $"sudo -n failed on node {target.NodeId} for user {target.User} ({LastLine(stderr)}); " +
        "give the user passwordless sudo (NOPASSWD) or connect as root";

    public static string LastLine(IReadOnlyList<string> lines)
    {
        var last = lines.LastOrDefault(l => !string.IsNullOrWhiteSpace(l))?.Trim() ?? "ssh failed without a message";
        return last.Length > 300 ? last[..300] + "..." : last;
    }

    [GeneratedRegex(@"SHA256:[A-Za-z0-9+/]{43}")]
    private static partial Regex FingerprintPattern();
}
