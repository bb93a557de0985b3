using Mistral.Console.Jobs.Ssh;
using Mistral.Console.Tests.Shared;
using Xunit;

namespace Mistral.Console.Jobs.Tests.Ssh;

[Collection(SshdCollection.Name)]
public sealed class SshKeyCheckTests(SshdFixture sshd)
{
    [Fact]
    public async Task Check_AcceptsAnUnencryptedKey_AndReturnsItsPublicKey()
    {
        var result = await SshKeyCheck.CheckAsync(sshd.PrivateKeyText);

        Assert.True(result.IsValid, result.Error);
        Assert.Null(result.Error);
        Assert.Equal(string.Join(' ', sshd.PublicKeyLine.Split(' ')[..2]), result.PublicKey);
    }

    [Fact]
    public async Task Check_AcceptsAKeyPastedWithCrlfLineEndings()
    {
        var result = await SshKeyCheck.CheckAsync(sshd.PrivateKeyText.Replace("\n", "\r\n").TrimEnd());

        Assert.True(result.IsValid, result.Error);
    }

    [Fact]
    public async Task Check_RejectsAPassphraseProtectedKey_WithAClearMessage()
    {
        var (encrypted, _) = await sshd.NewKeyPairAsync("protected", passphrase: "correct horse");

        var result = await SshKeyCheck.CheckAsync(encrypted);

        Assert.False(result.IsValid);
        Assert.Null(result.PublicKey);
        Assert.Equal("the key is protected by a passphrase; paste an unencrypted key or use ssh-agent", result.Error);
    }

    [Theory]
    [InlineData("hello")]
    [InlineData("-----BEGIN OPENSSH PRIVATE KEY-----\nZ2FyYmFnZQ==\n-----END OPENSSH PRIVATE KEY-----\n")]
    [InlineData("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFake user@host")]
    public async Task Check_RejectsWhatIsNotAPrivateKey(string text)
    {
        var result = await SshKeyCheck.CheckAsync(text);

        Assert.False(result.IsValid);
        Assert.Equal("not a private key in OpenSSH or PEM format", result.Error);
    }
}
