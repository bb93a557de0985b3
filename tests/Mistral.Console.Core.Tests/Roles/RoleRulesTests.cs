using Mistral.Console.Core.Environments;
using Mistral.Console.Core.Roles;
using Mistral.Console.Core.Validation;

namespace Mistral.Console.Core.Tests.Roles;

public sealed class RoleRulesTests
{
    private static long _ids;

    internal static Node N(string name, params string[] roles) => new(
        ++_ids, 1, name, $"10.0.0.{_ids % 250 + 1}", 22, "root", roles, false, null, null, null, null, DateTimeOffset.UnixEpoch);

    private static IReadOnlyList<Node> WithPrimary(params Node[] nodes) => Layout.WithPrimary(nodes, null);

    [Fact]
    public void NoNodes_NeedAControllerAndAMistralNode()
    {
        var r = RoleRules.Validate([]);
        Assert.Contains(r.Errors, e => e.Message == "At least 1 Controller node is required (0 selected currently).");
        Assert.Contains(r.Errors, e => e.Message == "At least 1 Mistral node is required (0 selected currently).");
        Assert.All(r.Errors, e => Assert.Equal("roles", e.Field));
    }

    [Fact]
    public void OneMistralNode_IsAWarning_NotAnError()
    {
        var r = RoleRules.Validate(WithPrimary(N("c1", Role.Controller, Role.Mistral)));
        Assert.True(r.IsValid);
        var w = Assert.Single(r.Warnings);
        Assert.Equal("It is recommended to have at least 2 Mistral nodes for engine and executor high availability (1 selected currently).", w.Message);
    }

    [Fact]
    public void TwoMistralNodes_OnControllersOrStandalone_AreClean()
    {
        var r = RoleRules.Validate(WithPrimary(N("c1", Role.Controller, Role.Mistral), N("m1", Role.Mistral)));
        Assert.Empty(r.Issues);
    }

    [Fact]
    public void APrimaryThatIsNoController_IsAnError()
    {
        var r = RoleRules.Validate([N("c1", Role.Controller, Role.PrimaryController), N("m1", Role.Mistral, Role.PrimaryController)]);
        Assert.Contains(r.Errors, e => e.Message == "Node 'm1' is the primary controller but does not have the Controller role.");
        Assert.Contains(r.Errors, e => e.Message == "Exactly 1 primary controller is required (2 selected currently).");
    }

    [Fact]
    public void ControllersWithoutPrimary_AreAnError_UnlessDerived()
    {
        var raw = new[] { N("c1", Role.Controller), N("m1", Role.Mistral) };
        Assert.Contains(RoleRules.Validate(raw).Errors, e => e.Message == "Exactly 1 primary controller is required (0 selected currently).");
        Assert.True(RoleRules.Validate(Layout.WithPrimary(raw, null)).IsValid);
    }

    [Fact]
    public void DuplicateNamesAndAddresses_AreErrors_CaseInsensitive()
    {
        var a = N("ctl", Role.Controller, Role.Mistral);
        var b = N("CTL", Role.Mistral) with { Address = a.Address.ToUpperInvariant() };
        var r = RoleRules.Validate(Layout.WithPrimary([a, b], null));
        Assert.Contains(r.Errors, e => e.Field == "name" && e.Message.Contains("node names must be unique"));
        Assert.Contains(r.Errors, e => e.Field == "address" && e.Message.Contains("addresses must be unique"));
    }

    [Fact]
    public void Layout_DerivesFirstController_OrTheChosenOne_WhileItIsAController()
    {
        var m = N("m", Role.Mistral);
        var c1 = N("c1", Role.Controller);
        var c2 = N("c2", Role.Controller);
        Assert.Equal(c1.Id, Layout.PrimaryId([m, c2, c1], null));
        Assert.Equal(c2.Id, Layout.PrimaryId([m, c1, c2], c2.Id));
        Assert.Equal(c1.Id, Layout.PrimaryId([m, c1, c2], m.Id));
        Assert.Null(Layout.PrimaryId([m], null));
        var nodes = Layout.WithPrimary([c1, c2], c2.Id);
        Assert.Single(nodes, n => n.IsPrimary);
        Assert.True(nodes.Single(n => n.IsPrimary).Id == c2.Id);
    }

    [Fact]
    public void ResolvePrimary_PicksFirstController_AndDropsAPrimaryWithoutController()
    {
        var m = N("m", Role.Mistral, Role.PrimaryController);
        var c = N("c", Role.Controller);
        var changes = RoleRules.ResolvePrimary([m, c]);
        Assert.Equal([Role.Mistral], changes[m.Id]);
        Assert.Equal([Role.Controller, Role.PrimaryController], changes[c.Id]);
    }

    [Fact]
    public void Role_Normalize_KeepsKnownRolesOnceInCanonicalOrder()
    {
        Assert.Equal([Role.Controller, Role.Mistral], Role.Normalize(["mistral", "bogus", "controller", "mistral"]));
    }
}

public sealed class NodeRulesTests
{
    private static NodeInput Input(string? name = "n1", string? address = "10.0.0.1", int? port = 22, string? user = "root",
        string[]? roles = null, string? key = null, string? executor = null) =>
        new(name, address, port, user, roles ?? [Role.Mistral], key, executor);

    private static string? ErrorFor(NodeInput i, string field, params Node[] others) => NodeRules.Validate(i, others).FirstErrorFor(field);

    [Theory]
    [InlineData("$(reboot)")]
    [InlineData("a;b")]
    [InlineData("it's")]
    [InlineData("\"q\"")]
    [InlineData("nœud")]
    [InlineData("-leading")]
    [InlineData("")]
    public void BadNodeNames_AreRefused(string name) => Assert.NotNull(ErrorFor(Input(name: name), "name"));

    [Fact]
    public void A10kName_IsRefusedWithItsLength() =>
        Assert.Contains("10000 given", ErrorFor(Input(name: new string('a', 10_000)), "name"));

    [Theory]
    [InlineData(0)]
    [InlineData(70000)]
    [InlineData(-1)]
    public void BadPorts_AreRefused(int port) => Assert.NotNull(ErrorFor(Input(port: port), "sshPort"));

    [Fact]
    public void UnknownRoles_AreNamed() =>
        Assert.Equal("Unknown role 'superuser'. Known roles: controller, primary-controller, mistral.", ErrorFor(Input(roles: ["superuser"]), "roles"));

    [Fact]
    public void ExecutorHost_OnlyForMistralNodes() =>
        Assert.Equal("An executor host name applies to Mistral nodes only.", ErrorFor(Input(roles: [Role.Controller], executor: "exec-1"), "executorHost"));

    [Fact]
    public void DuplicateNameOrAddress_InTheEnvironment_IsRefused()
    {
        var other = RoleRulesTests.N("n1", Role.Mistral) with { Address = "10.0.0.1" };
        Assert.NotNull(ErrorFor(Input(name: "N1", address: "10.9.9.9"), "name", other));
        Assert.NotNull(ErrorFor(Input(name: "n2", address: "10.0.0.1"), "address", other));
    }

    [Fact]
    public void OversizedKeys_AreRefusedBeforeInspection() =>
        Assert.NotNull(ErrorFor(Input(key: new string('k', NodeRules.MaxKeyLength + 1)), "privateKey"));

    [Fact]
    public void AGoodNode_HasNoIssues() => Assert.Empty(NodeRules.Validate(Input(), []).Issues);
}
