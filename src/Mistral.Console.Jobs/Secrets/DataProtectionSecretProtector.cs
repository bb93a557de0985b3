using Microsoft.AspNetCore.DataProtection;
using Mistral.Console.Core.Secrets;

namespace Mistral.Console.Jobs.Secrets;

/// <summary>Secrets at rest (SSH keys, generated passwords) are Data Protection payloads; the key
/// ring lives in the data directory, so a copied database alone reveals nothing.</summary>
public sealed class DataProtectionSecretProtector(IDataProtectionProvider provider) : ISecretProtector
{
    private readonly IDataProtector _protector = provider.CreateProtector("Mistral.Console.Secrets.v1");

    public string Protect(string plaintext) => _protector.Protect(plaintext);
    public string Unprotect(string protectedText) => _protector.Unprotect(protectedText);
}
