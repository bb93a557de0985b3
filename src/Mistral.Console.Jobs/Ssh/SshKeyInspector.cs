using Mistral.Console.Core.Environments;

namespace Mistral.Console.Jobs.Ssh;

/// <summary>Checks pasted private keys with ssh-keygen (see <see cref="SshKeyCheck"/>).</summary>
public sealed class SshKeyInspector(SshOptions options) : IKeyInspector
{
    public async Task<(string? PublicKey, string? Error)> InspectAsync(string privateKey, CancellationToken cancellationToken)
    {
        var result = await SshKeyCheck.CheckAsync(privateKey, cancellationToken, options.KeygenPath);
        return result.IsValid ? (result.PublicKey, null) : (null, result.Error);
    }
}
