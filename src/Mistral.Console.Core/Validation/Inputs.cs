using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Mistral.Console.Core.Validation;

/// <summary>Rules for the small values users type. Each returns null when fine, or the message to show.</summary>
public static partial class Inputs
{
    public const int MaxEnvironmentNameLength = 100;

    /// <summary>Environment names are free text for humans (unicode welcome) but one line, no control characters.</summary>
    public static string? EnvironmentName(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return "Enter a name.";
        if (value.Length > MaxEnvironmentNameLength) return $"Use at most {MaxEnvironmentNameLength} characters ({value.Length} given).";
        if (value.Any(char.IsControl)) return "The name cannot contain control characters or line breaks.";
        if (value.Trim() != value) return "The name cannot start or end with spaces.";
        return null;
    }

    /// <summary>Node names end up in file names, host aliases and log paths: keep them hostname-like.</summary>
    public static string? NodeName(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return "Enter a name.";
        if (value.Length > 63) return $"Use at most 63 characters ({value.Length} given).";
        if (!NodeNamePattern().IsMatch(value))
            return "Use letters, digits, '.', '-' and '_' only, starting with a letter or digit.";
        return null;
    }

    /// <summary>An IPv4 or IPv6 address, or a DNS name (RFC 1123).</summary>
    public static string? Address(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return "Enter an IP address or a DNS name.";
        if (value.Length > 253) return "A DNS name has at most 253 characters.";
        if (IPAddress.TryParse(value, out var ip))
        {
            // IPAddress.TryParse accepts "1" or "10.1" as IPv4; require the dotted quad.
            if (ip.AddressFamily == AddressFamily.InterNetwork && value.Count(c => c == '.') != 3)
                return "Not a valid IPv4 address (use four numbers, e.g. 10.0.0.5).";
            return null;
        }
        if (value.Contains(':')) return "Not a valid IPv6 address.";
        if (value.All(c => char.IsDigit(c) || c == '.')) return "Not a valid IPv4 address (use four numbers from 0 to 255).";
        if (!HostnamePattern().IsMatch(value))
            return "Not a valid IP address or DNS name (letters, digits, '-' and '.').";
        return null;
    }

    public static string? Port(int? value) =>
        value is null ? "Enter a port." :
        value is < 1 or > 65535 ? $"A port is a number from 1 to 65535 ({value} given)." : null;

    /// <summary>A POSIX user name, as sshd and useradd accept it.</summary>
    public static string? UserName(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return "Enter a user name.";
        if (!PosixUserPattern().IsMatch(value)) return "Use a POSIX user name: lower-case letters, digits, '_' and '-', at most 32 characters.";
        return null;
    }

    /// <summary>Short identifiers such as a Keystone region or project: no spaces or shell characters.</summary>
    public static string? Identifier(string? value, string what)
    {
        if (string.IsNullOrWhiteSpace(value)) return $"Enter the {what}.";
        if (value.Length > 64) return $"The {what} has at most 64 characters.";
        if (!IdentifierPattern().IsMatch(value)) return $"The {what} may contain letters, digits, '.', '-' and '_' only.";
        return null;
    }

    /// <summary>An absolute path on a node, without characters that would need shell care.</summary>
    public static string? AbsolutePath(string? value, string what)
    {
        if (string.IsNullOrWhiteSpace(value)) return $"Enter the {what}.";
        if (!value.StartsWith('/')) return $"The {what} must be an absolute path (starting with '/').";
        if (value.Length > 255 || !PathPattern().IsMatch(value)) return $"The {what} may contain letters, digits, '/', '.', '-' and '_' only.";
        return null;
    }

    public static string? HttpUrl(string? value, string what)
    {
        if (string.IsNullOrWhiteSpace(value)) return $"Enter the {what}.";
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https") || value.Any(char.IsWhiteSpace))
            return $"The {what} must be an http:// or https:// URL.";
        return null;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")]
    private static partial Regex NodeNamePattern();

    [GeneratedRegex(@"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$")]
    private static partial Regex HostnamePattern();

    [GeneratedRegex("^[a-z_][a-z0-9_-]{0,31}$")]
    private static partial Regex PosixUserPattern();

    [GeneratedRegex("^[A-Za-z0-9._-]+$")]
    private static partial Regex IdentifierPattern();

    [GeneratedRegex("^[A-Za-z0-9/._-]+$")]
    private static partial Regex PathPattern();
}
