using Mistral.Console.Core.Catalog;
using Xunit;

namespace Mistral.Console.Core.Tests.Catalog;

public sealed class CatalogLoaderTests
{
    [Fact]
    public void Parse_ReadsTasksWithDefaults()
    {
        var catalog = CatalogLoader.Parse("""
            name: small
            prelude: |
              say() { echo "$@"; }
            tasks:
              - id: a
                roles: [controller]
                script: say a
              - id: b
                roles: [mistral]
                requires: [a]
                cross_depends:
                  - task: a
                    role: controller
                    policy: any
                strategy:
                  type: one_by_one
                timeout: 30
                retries: 2
                script: say b
            """);

        Assert.Equal("small", catalog.Name);
        Assert.Contains("say()", catalog.Prelude);
        var a = catalog.Find("a")!;
        Assert.Equal(TimeSpan.FromSeconds(600), a.Timeout);
        Assert.Equal(0, a.Retries);
        Assert.Null(a.Strategy.Limit);
        var b = catalog.Find("b")!;
        Assert.Equal(["a"], b.Requires);
        Assert.Equal(new CrossDependency("a", "controller", DependencyPolicy.Any), b.CrossDepends.Single());
        Assert.Equal(1, b.Strategy.Limit);
        Assert.Equal(TimeSpan.FromSeconds(30), b.Timeout);
        Assert.Equal(2, b.Retries);
    }

    [Fact]
    public void Parse_NamesTheCycle()
    {
        var e = Assert.Throws<CatalogException>(() => CatalogLoader.Parse("""
            tasks:
              - { id: a, roles: [controller], requires: [c], script: x }
              - { id: b, roles: [controller], requires: [a], script: x }
              - { id: c, roles: [controller], cross_depends: [{ task: b, role: controller }], script: x }
            """));
        Assert.Contains("dependency cycle: a → c → b → a", e.Message);
    }

    [Theory]
    [InlineData("tasks:\n  - { id: a, roles: [controller], requires: [nope], script: x }", "requires unknown task 'nope'")]
    [InlineData("tasks:\n  - { id: a, roles: [compute], script: x }", "unknown role 'compute'")]
    [InlineData("tasks:\n  - { id: a, roles: [controller], script: x }\n  - { id: a, roles: [mistral], script: y }", "'a' is defined 2 times")]
    [InlineData("tasks:\n  - { id: a, roles: [controller] }", "has no script")]
    [InlineData("tasks:\n  - { id: a, roles: [controller], script: x, strategy: { type: sometimes } }", "unknown strategy 'sometimes'")]
    [InlineData("tasks:\n  - { id: a, roles: [controller], script: x, timeout: 0 }", "positive number of seconds")]
    [InlineData("tasks:\n  - { id: a, roles: [controller], script: x, cross_depends: [{ task: a, role: controller, policy: most }] }", "policy 'most'")]
    [InlineData("tasks: [", "YAML error")]
    [InlineData("tasks:\n  - { id: a, roles: [controller], script: x, idempotent: false, retries: 1 }", "not idempotent, so it cannot have retries")]
    public void Parse_RefusesInvalidCatalogs_WithAClearMessage(string yaml, string expected)
    {
        var e = Assert.Throws<CatalogException>(() => CatalogLoader.Parse(yaml));
        Assert.Contains(expected, e.Message);
    }
}
