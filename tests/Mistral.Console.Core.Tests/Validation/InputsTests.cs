using Mistral.Console.Core.Validation;

namespace Mistral.Console.Core.Tests.Validation;

public sealed class InputsTests
{
    [Theory]
    [InlineData("10.0.0.5")]
    [InlineData("192.168.1.254")]
    [InlineData("fd00::11")]
    [InlineData("::1")]
    [InlineData("ctl-1.example.net")]
    [InlineData("localhost")]
    public void GoodAddresses_Pass(string address) => Assert.Null(Inputs.Address(address));

    [Theory]
    [InlineData("10.0.1")]
    [InlineData("10.1")]
    [InlineData("256.1.1.1")]
    [InlineData("fe80:::1")]
    [InlineData("host name")]
    [InlineData("$(reboot)")]
    [InlineData("a;b")]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("-bad.example")]
    public void BadAddresses_AreRefused(string? address) => Assert.NotNull(Inputs.Address(address));

    [Fact]
    public void LongDnsNames_AreRefused() => Assert.NotNull(Inputs.Address(new string('a', 300)));

    [Theory]
    [InlineData(1, true)]
    [InlineData(65535, true)]
    [InlineData(0, false)]
    [InlineData(65536, false)]
    [InlineData(70000, false)]
    public void Ports(int port, bool ok) => Assert.Equal(ok, Inputs.Port(port) is null);

    [Fact]
    public void PortMessage_NamesTheValue() => Assert.Equal("A port is a number from 1 to 65535 (70000 given).", Inputs.Port(70000));

    [Theory]
    [InlineData("prod $(reboot); 'quoted' \"dq\"")]
    [InlineData("ünïcødé 雲")]
    public void EnvironmentNames_AreFreeText(string name) => Assert.Null(Inputs.EnvironmentName(name));

    [Theory]
    [InlineData("")]
    [InlineData(" leading")]
    [InlineData("line\nbreak")]
    [InlineData("tab\there")]
    public void EnvironmentNames_AreOneTrimmedLine(string name) => Assert.NotNull(Inputs.EnvironmentName(name));

    [Fact]
    public void EnvironmentNames_HaveALengthLimit() =>
        Assert.Equal("Use at most 100 characters (10000 given).", Inputs.EnvironmentName(new string('x', 10_000)));

    [Theory]
    [InlineData("root", true)]
    [InlineData("deploy_user-1", true)]
    [InlineData("Root", false)]
    [InlineData("root; reboot", false)]
    [InlineData("", false)]
    public void SshUsers(string user, bool ok) => Assert.Equal(ok, Inputs.UserName(user) is null);

    [Theory]
    [InlineData("/root/openrc", true)]
    [InlineData("root/openrc", false)]
    [InlineData("/root/open rc", false)]
    [InlineData("/root/$(x)", false)]
    public void AbsolutePaths(string path, bool ok) => Assert.Equal(ok, Inputs.AbsolutePath(path, "openrc path") is null);

    [Theory]
    [InlineData("http://keystone:5000/v3", true)]
    [InlineData("https://k.example/v3", true)]
    [InlineData("ftp://k/v3", false)]
    [InlineData("keystone:5000", false)]
    public void HttpUrls(string url, bool ok) => Assert.Equal(ok, Inputs.HttpUrl(url, "auth URL") is null);
}
