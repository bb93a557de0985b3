using System.Text.RegularExpressions;

namespace Mistral.Console.Jobs.Logs;

/// <summary>
/// Replaces every secret the dashboard knows with ****** before a line is stored or streamed.
/// Known values are matched literally (longest first, so one secret containing another is fully
/// hidden); lines that look like credential assignments are masked too, as a second net for
/// secrets the dashboard never saw (e.g. a Keystone admin password read from an openrc).
/// </summary>
public sealed partial class SecretMasker
{
    public const string Mask = "******";
    private readonly string[] _secrets;

    public SecretMasker(IEnumerable<string?> secrets)
    {
        // Each line of a multi-line secret (a private key) is a secret of its own; short
        // fragments (key headers, blank lines) are not worth masking and would garble output.
        _secrets = secrets
            .Where(s => !string.IsNullOrEmpty(s))
            .SelectMany(s => s!.Contains('\n') ? s.Split('\n').Select(l => l.Trim()).Where(l => l.Length >= 16 && !l.StartsWith("-----")) : [s!])
            .Distinct()
            .OrderByDescending(s => s.Length)
            .ToArray();
    }

    public static SecretMasker None { get; } = new([]);

    public string Apply(string line)
    {
        foreach (var s in _secrets)
            if (line.Contains(s, StringComparison.Ordinal)) line = line.Replace(s, Mask, StringComparison.Ordinal);
        return CredentialAssignment().Replace(line, m => m.Groups[1].Value + Mask);
    }

    // OS_PASSWORD=..., password = ..., --password ..., "password": "..."
    [GeneratedRegex(@"((?:OS_PASSWORD|[Pp]assword|PASSWORD|passwd)(?:""?\s*[:=]\s*""?|\s+))(?!\*{6})[^\s""',;]+")]
    private static partial Regex CredentialAssignment();
}
