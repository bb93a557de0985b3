using System.Security.Cryptography;

namespace Mistral.Console.Core.Secrets;

/// <summary>Source of uniform random integers; the only seam tests replace.</summary>
public interface IRandomSource
{
    /// <summary>A uniformly distributed integer in [0, maxExclusive).</summary>
    int Next(int maxExclusive);
}

/// <summary>The production source: the operating system's CSPRNG.</summary>
public sealed class CryptoRandomSource : IRandomSource
{
    public int Next(int maxExclusive) => RandomNumberGenerator.GetInt32(maxExclusive);
}

/// <summary>Generates passwords as the plugin's `generator: password` did: 24 characters of [A-Za-z0-9].
/// Alphanumerics only, so a password is safe inside URLs (mysql+pymysql://, rabbit://) and INI files.</summary>
public sealed class SecretGenerator(IRandomSource random)
{
    public const int Length = 24;
    public const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    public string NewPassword()
    {
        Span<char> chars = stackalloc char[Length];
        for (var i = 0; i < chars.Length; i++)
            chars[i] = Alphabet[random.Next(Alphabet.Length)];
        return new string(chars);
    }
}

/// <summary>Encrypts secrets at rest. Implemented with ASP.NET Core Data Protection outside Core.</summary>
public interface ISecretProtector
{
    string Protect(string plaintext);
    string Unprotect(string protectedText);
}
