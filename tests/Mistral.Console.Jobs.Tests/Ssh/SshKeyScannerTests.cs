using Mistral.Console.Jobs.Ssh;
using Mistral.Console.Tests.Shared;
using Xunit;

namespace Mistral.Console.Jobs.Tests.Ssh;

[Collection(SshdCollection.Name)]
public sealed class SshKeyScannerTests(SshdFixture sshd)
{
    private readonly SshKeyScanner scanner = new(new SshOptions { ConnectTimeout = TimeSpan.FromSeconds(5) });

    [Fact]
    public async Task Scan_ReturnsTheNodesHostKey_WithTheFingerprintSshKeygenShows()
    {
        var node = await sshd.StartNodeAsync("scan-" + Guid.NewGuid().ToString("N")[..8]);
        var (code, keygen) = await SshdFixture.RunAsync("ssh-keygen", "-l", "-E", "sha256", "-f", sshd.HostKeyPublicPath(node));
        Assert.Equal(0, code);

        var keys = await scanner.ScanAsync(node.Address, node.Port, default);

        var key = Assert.Single(keys);
        Assert.Equal("ssh-ed25519", key.Algorithm);
        Assert.Equal(node.HostKeyLine, key.Line);
        Assert.Equal(keygen.Split(' ')[1], key.Fingerprint);
        Assert.StartsWith("SHA256:", key.Fingerprint);
    }

    [Fact]
    public async Task Scan_PrefersEd25519_WhenTheNodeOffersSeveralKeys()
    {
        // The machine's own sshd host keys include RSA, ECDSA and Ed25519; serve them all on one node.
        var node = await sshd.StartNodeAsync("scan3-" + Guid.NewGuid().ToString("N")[..8], extraHostKeys: true);

        var keys = await scanner.ScanAsync(node.Address, node.Port, default);

        Assert.True(keys.Count >= 3, string.Join(", ", keys.Select(k => k.Algorithm)));
        Assert.Equal("ssh-ed25519", keys[0].Algorithm);
        Assert.Equal(keys.Count, keys.Select(k => k.PublicKey).Distinct().Count());
    }

    [Fact]
    public async Task Scan_ClosedPort_ReturnsNoKeys()
    {
        var node = await sshd.StartNodeAsync("scan-closed-" + Guid.NewGuid().ToString("N")[..8]);
        await sshd.StopNodeAsync(node);

        var keys = await scanner.ScanAsync(node.Address, node.Port, default);

        Assert.Empty(keys);
    }

    [Fact]
    public async Task Scan_RefusesAnAddressThatLooksLikeAnOption()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => scanner.ScanAsync("-oProxyCommand=touch /tmp/x", 22, default));
    }
}
