using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Mistral.Console.Jobs.Ssh;

/// <summary>One public key in OpenSSH text form ("ssh-ed25519 AAAA..."), validated against its own blob.</summary>
internal sealed record SshPublicKey(string Algorithm, string Base64)
{
    public string Line => $"{Algorithm} {Base64}";

    /// <summary>The SHA256 fingerprint exactly as ssh-keygen -l prints it.</summary>
    public string Fingerprint => FingerprintOf(Convert.FromBase64String(Base64));

    public static string FingerprintOf(byte[] blob) =>
        "SHA256:" + Convert.ToBase64String(SHA256.HashData(blob)).TrimEnd('=');

    /// <summary>Reads "type key [comment]" or "host type key [comment]" (known_hosts and ssh-keyscan forms).</summary>
    public static bool TryParse(string line, out SshPublicKey key)
    {
        key = null!;
        var tokens = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (tokens.Length >= 2 && IsValid(tokens[0], tokens[1]))
        {
            key = new SshPublicKey(tokens[0], tokens[1]);
            return true;
        }
        if (tokens.Length >= 3 && !tokens[0].StartsWith('#') && IsValid(tokens[1], tokens[2]))
        {
            key = new SshPublicKey(tokens[1], tokens[2]);
            return true;
        }
        return false;
    }

    public static IReadOnlyList<SshPublicKey> ParseAll(string text)
    {
        var keys = new List<SshPublicKey>();
        foreach (var line in text.Split('\n'))
        {
            if (TryParse(line.Trim(), out var key) && !keys.Contains(key))
                keys.Add(key);
        }
        return keys;
    }

    /// <summary>Ed25519 first, then ECDSA, then RSA: the order in which a key is offered for pinning.</summary>
    public static int Preference(string algorithm) => algorithm switch
    {
        "ssh-ed25519" => 0,
        _ when algorithm.StartsWith("ecdsa-sha2-", StringComparison.Ordinal) => 1,
        "rsa-sha2-512" or "rsa-sha2-256" or "ssh-rsa" => 2,
        _ => 3,
    };

    // The wire blob starts with its own type name: a cheap check that this really is a key of that type.
    private static bool IsValid(string algorithm, string base64)
    {
        if (algorithm.Length is 0 or > 64 || !algorithm.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '@' or '.'))
            return false;
        var blob = new byte[base64.Length];
        if (!Convert.TryFromBase64String(base64, blob, out var length) || length < 4 + algorithm.Length)
            return false;
        var nameLength = BinaryPrimitives.ReadUInt32BigEndian(blob);
        return nameLength == algorithm.Length
            && Encoding.ASCII.GetString(blob, 4, algorithm.Length) == algorithm;
    }
}
