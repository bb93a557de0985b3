using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.StaticAssets;
using Microsoft.Extensions.DependencyInjection;
using Mistral.Console.Web.Auth;

namespace Mistral.Console.Web.Tests;

/// <summary>
/// Enumerates the app's own endpoints, so a route added later is covered without editing these
/// tests: nothing is anonymous except the allow-list, and a support user can change nothing.
/// </summary>
public sealed partial class RouteSecurityTests(SeededConsole seeded) : IClassFixture<SeededConsole>
{
    private static readonly string[] AnonymousRoutes = ["/signin", "/healthz", "/api/auth/token"];

    /// <summary>Non-GET endpoints every signed-in user may call: they act on the caller's own account only.</summary>
    private static readonly string[] SelfServiceRoutes =
        ["POST /signout", "DELETE /api/auth/token", "PUT /api/account/password", "GET,POST /account/password"];

    private sealed record Route(RouteEndpoint Endpoint, string Method, string Path)
    {
        public bool IsApi => Path.StartsWith("/api/", StringComparison.Ordinal) || Path.StartsWith("/openapi/", StringComparison.Ordinal);
        public override string ToString() => $"{Method} {Path}";
    }

    private IReadOnlyList<RouteEndpoint> Endpoints() =>
        seeded.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();

    private static bool IsStaticAsset(RouteEndpoint e) => e.Metadata.GetMetadata<StaticAssetDescriptor>() is not null;

    private static string Template(RouteEndpoint e) => "/" + (e.RoutePattern.RawText ?? "").TrimStart('/');

    private static IEnumerable<string> Methods(RouteEndpoint e) =>
        e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"];

    /// <summary>Route parameters replaced by ids of real rows, so handlers would find something to change.</summary>
    private IEnumerable<Route> Routes(Func<RouteEndpoint, bool> where)
    {
        foreach (var e in Endpoints().Where(e => !IsStaticAsset(e) && where(e)))
        {
            var template = Template(e);
            var isDeployment = template.StartsWith("/deployments/", StringComparison.Ordinal) || template.StartsWith("/api/deployments/", StringComparison.Ordinal);
            var path = Parameter().Replace(template, m => m.Groups[1].Value.ToLowerInvariant() switch
            {
                "id" when isDeployment => seeded.DeploymentId.ToString(),
                "id" => seeded.EnvironmentId.ToString(),
                "nodeid" => seeded.NodeId.ToString(),
                "userid" => seeded.SpareUserId.ToString(),
                "runid" => seeded.CheckRunId.ToString(),
                "name" => "dbPassword",
                "documentname" => "v1",
                "**path" => "no-such-file.txt",
                var other => throw new InvalidOperationException($"No test value for route parameter '{other}' in {Template(e)}: add one here."),
            });
            foreach (var method in Methods(e).Where(m => m != "HEAD"))
                yield return new Route(e, method, path.TrimEnd('/') is { Length: > 0 } p ? p : "/");
        }
    }

    [Fact]
    public void AnonymousEndpoints_AreOnlyTheSignInPage_Health_TokenIssue_AndStaticAssets()
    {
        var anonymous = Endpoints()
            .Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is not null && !IsStaticAsset(e))
            .Select(e => Template(e).TrimEnd('/'))
            .Distinct().Order().ToList();
        Assert.Equal(AnonymousRoutes.Order(), anonymous);
    }

    [Fact]
    public async Task EveryPageAndApiRoute_RefusesAnonymousRequests()
    {
        var routes = Routes(e => e.Metadata.GetMetadata<IAllowAnonymous>() is null).ToList();
        Assert.True(routes.Count > 30, $"only {routes.Count} routes enumerated");
        var client = seeded.App.NewClient();
        var failures = new List<string>();
        foreach (var route in routes)
        {
            using var request = new HttpRequestMessage(new HttpMethod(route.Method), route.Path);
            if (route.Method != "GET") request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
            var response = await client.SendAsync(request);
            var ok = route.IsApi
                ? response.StatusCode == HttpStatusCode.Unauthorized
                : response.StatusCode == HttpStatusCode.Found && response.Headers.Location?.OriginalString.Contains("/signin", StringComparison.Ordinal) == true;
            if (!ok) failures.Add($"{route}: {(int)response.StatusCode} {response.Headers.Location}");
        }
        Assert.Empty(failures);
    }

    [Fact]
    public void SelfServiceEndpoints_AreExactlyTheExpectedOnes()
    {
        var selfService = Endpoints()
            .Where(e => e.Metadata.GetMetadata<SelfServiceAttribute>() is not null)
            .Select(e => $"{string.Join(",", Methods(e))} {Template(e)}")
            .Order().ToList();
        Assert.Equal(SelfServiceRoutes.Order(), selfService);
    }

    [Fact]
    public async Task Support_IsRefused_OnEveryMutatingRoute()
    {
        var routes = Routes(e => e.Metadata.GetMetadata<IAllowAnonymous>() is null && e.Metadata.GetMetadata<SelfServiceAttribute>() is null)
            .Where(r => r.Method != "GET")
            .ToList();
        Assert.True(routes.Count >= 20, $"only {routes.Count} mutating routes enumerated");
        Assert.Contains(routes, r => r.Path == "/environments" && r.Method == "POST");

        using var browser = await seeded.App.SignInAsync("support1", SeededConsole.SupportPassword);
        using var script = await seeded.App.BearerClientAsync("support1", SeededConsole.SupportPassword);
        var token = await browser.AntiforgeryTokenAsync();
        var failures = new List<string>();
        foreach (var route in routes)
        {
            using var request = new HttpRequestMessage(new HttpMethod(route.Method), route.Path);
            HttpClient client;
            if (route.IsApi)
            {
                client = script;
                request.Content = new StringContent("""{"name":"x","enabled":true,"newPassword":"long-enough-password"}""", Encoding.UTF8, "application/json");
            }
            else
            {
                // A valid antiforgery token and a form: only the role may stop this request.
                client = browser;
                request.Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token, ["_handler"] = "x" });
            }
            var response = await client.SendAsync(request);
            if (response.StatusCode != HttpStatusCode.Forbidden) failures.Add($"{route}: {(int)response.StatusCode}");
        }
        Assert.Empty(failures);

        // And nothing changed: the environment, its nodes and the spare user are all still there.
        using var admin = await seeded.App.AdminApiAsync();
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/api/environments/{seeded.EnvironmentId}/nodes/{seeded.NodeId}")).StatusCode);
        Assert.Contains("\"spare\"", await admin.GetStringAsync("/api/users"));
    }

    [Fact]
    public async Task Support_IsRefused_OnAdminOnlyReads()
    {
        var adminOnly = Routes(e => e.Metadata.GetOrderedMetadata<IAuthorizeData>().Any(a => a.Policy == Policies.Admin || a.Roles == UserRoles.Admin))
            .Where(r => r.Method == "GET").ToList();
        Assert.Contains(adminOnly, r => r.Path.EndsWith("/reveal", StringComparison.Ordinal));
        Assert.Contains(adminOnly, r => r.Path == "/users");
        using var browser = await seeded.App.SignInAsync("support1", SeededConsole.SupportPassword);
        using var script = await seeded.App.BearerClientAsync("support1", SeededConsole.SupportPassword);
        foreach (var route in adminOnly)
        {
            var response = await (route.IsApi ? script : browser).GetAsync(route.Path);
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{route}: {(int)response.StatusCode}");
        }
    }

    [GeneratedRegex(@"\{([^}:?=]+)[^}]*\}")]
    private static partial Regex Parameter();
}
