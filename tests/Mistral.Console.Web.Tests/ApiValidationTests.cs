using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Mistral.Console.Tests.Shared;

namespace Mistral.Console.Web.Tests;

/// <summary>Bad input through the JSON API: a problem naming the field, no 500, nothing stored.</summary>
public sealed class ApiValidationTests(SeededConsole seeded) : IClassFixture<SeededConsole>
{
    private string Nodes => $"/api/environments/{seeded.EnvironmentId}/nodes";

    public static TheoryData<string, string> BadNodes() => new()
    {
        { """{"name":"$(reboot)","address":"10.0.1.1","roles":["mistral"]}""", "name" },
        { """{"name":"a;b","address":"10.0.1.1","roles":["mistral"]}""", "name" },
        { """{"name":"it's","address":"10.0.1.1","roles":["mistral"]}""", "name" },
        { """{"name":"nœud","address":"10.0.1.1","roles":["mistral"]}""", "name" },
        { $$"""{"name":"{{new string('n', 10_000)}}","address":"10.0.1.1","roles":["mistral"]}""", "name" },
        { """{"name":"ok-1","address":"10.0.1","roles":["mistral"]}""", "address" },
        { """{"name":"ok-1","address":"999.1.1.1","roles":["mistral"]}""", "address" },
        { """{"name":"ok-1","address":"host name","roles":["mistral"]}""", "address" },
        { """{"name":"ok-1","address":"fe80:::1","roles":["mistral"]}""", "address" },
        { """{"name":"ok-1","address":"10.0.1.1","sshPort":0,"roles":["mistral"]}""", "sshPort" },
        { """{"name":"ok-1","address":"10.0.1.1","sshPort":70000,"roles":["mistral"]}""", "sshPort" },
        { """{"name":"ok-1","address":"10.0.1.1","sshPort":"22; reboot","roles":["mistral"]}""", "sshPort" },
        { """{"name":"ok-1","address":"10.0.1.1","sshUser":"root; reboot","roles":["mistral"]}""", "sshUser" },
        { """{"name":"ok-1","address":"10.0.1.1","roles":["superuser"]}""", "roles" },
        { """{"name":"ok-1","address":"10.0.1.1","roles":["mistral"],"privateKey":"not a key"}""", "privateKey" },
        { """{"name":"ok-1","address":"10.0.1.1","roles":["controller"],"executorHost":"x"}""", "executorHost" },
        { """{"name":"ctl-1","address":"10.0.1.1","roles":["mistral"]}""", "name" },
        { """{"name":"ok-1","address":"10.0.0.11","roles":["mistral"]}""", "address" },
    };

    [Theory]
    [MemberData(nameof(BadNodes))]
    public async Task AddNode_WithBadInput_Returns400NamingTheField_AndStoresNothing(string json, string field)
    {
        using var admin = await seeded.App.AdminApiAsync();
        var before = await admin.GetStringAsync(Nodes);
        var response = await admin.PostAsync(Nodes, new StringContent(json, Encoding.UTF8, "application/json"));
        await AssertProblemAsync(response, field);
        Assert.Equal(before, await admin.GetStringAsync(Nodes));
    }

    [Fact]
    public async Task AddNode_WithPassphraseProtectedKey_IsRefusedOnPrivateKey()
    {
        using var admin = await seeded.App.AdminApiAsync();
        var before = await admin.GetStringAsync(Nodes);
        var response = await admin.PostAsJsonAsync(Nodes, new { name = "locked-key", address = "10.0.9.9", roles = new[] { "mistral" }, privateKey = TestKeys.WithPassphrase });
        var problem = await AssertProblemAsync(response, "privateKey");
        Assert.Contains("passphrase", problem, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(before, await admin.GetStringAsync(Nodes));
    }

    [Fact]
    public async Task EditNode_WithBadInput_KeepsTheStoredNode()
    {
        using var admin = await seeded.App.AdminApiAsync();
        var url = $"{Nodes}/{seeded.NodeId}";
        var before = await admin.GetStringAsync(url);
        await AssertProblemAsync(await admin.PutAsJsonAsync(url, new { name = "renamed", sshPort = 70000 }), "sshPort");
        Assert.Equal(before, await admin.GetStringAsync(url));
    }

    [Theory]
    [InlineData("{\"name\": ")]
    [InlineData("not json at all")]
    [InlineData("[1,2,3]")]
    public async Task MalformedJson_Returns400Problem_Not500(string body)
    {
        using var admin = await seeded.App.AdminApiAsync();
        var response = await admin.PostAsync("/api/environments", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task WrongEnumValue_NamesTheField()
    {
        using var admin = await seeded.App.AdminApiAsync();
        var response = await admin.PutAsync($"/api/environments/{seeded.EnvironmentId}/settings",
            new StringContent("""{"authMode":"kerberos"}""", Encoding.UTF8, "application/json"));
        await AssertProblemAsync(response, "authMode");
    }

    [Fact]
    public async Task Settings_WithBadFacts_NameEachField_AndKeepTheStoredSettings()
    {
        using var admin = await seeded.App.AdminApiAsync();
        var url = $"/api/environments/{seeded.EnvironmentId}/settings";
        var before = await admin.GetStringAsync(url);
        var response = await admin.PutAsJsonAsync(url, new
        {
            managementVip = "10.0.0.300", publicVip = "$(reboot)", apiPort = 0, keystoneRegion = "Region One", adminSource = "explicit",
            adminAuthUrl = "ftp://x", adminUser = "a b", adminProject = "", dbPassword = "short",
        });
        var body = await AssertProblemAsync(response, "managementVip");
        foreach (var field in new[] { "publicVip", "apiPort", "keystoneRegion", "adminAuthUrl", "adminUser", "adminProject", "adminPassword", "dbPassword" })
            Assert.Contains($"\"{field}\"", body);
        Assert.Equal(before, await admin.GetStringAsync(url));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("line\nbreak")]
    public async Task CreateEnvironment_WithBadName_NamesTheField(string name)
    {
        using var admin = await seeded.App.AdminApiAsync();
        await AssertProblemAsync(await admin.PostAsJsonAsync("/api/environments", new { name }), "name");
    }

    [Fact]
    public async Task CreateEnvironment_With10kName_IsRefused_AndShellCharactersAreJustText()
    {
        using var admin = await seeded.App.AdminApiAsync();
        await AssertProblemAsync(await admin.PostAsJsonAsync("/api/environments", new { name = new string('x', 10_000) }), "name");
        var id = await SeededConsole.IdOf(await admin.PostAsJsonAsync("/api/environments", new { name = "prod $(reboot); 'quoted' \"dq\" ünïcødé" }));
        var env = await admin.GetFromJsonAsync<JsonElement>($"/api/environments/{id}");
        Assert.Equal("prod $(reboot); 'quoted' \"dq\" ünïcødé", env.GetProperty("name").GetString());
        await AssertProblemAsync(await admin.PostAsJsonAsync("/api/environments", new { name = "PROD $(reboot); 'quoted' \"dq\" ünïcødé" }), "name");
    }

    [Fact]
    public async Task DeleteEnvironment_NeedsItsNameAsConfirmation()
    {
        using var admin = await seeded.App.AdminApiAsync();
        var id = await SeededConsole.IdOf(await admin.PostAsJsonAsync("/api/environments", new { name = "to delete" }));
        await AssertProblemAsync(await admin.DeleteAsync($"/api/environments/{id}?confirm=wrong"), "confirmName");
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/api/environments/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/environments/{id}?confirm=to%20delete")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/api/environments/{id}")).StatusCode);
    }

    [Theory]
    [InlineData("GET", "/api/environments/999999")]
    [InlineData("GET", "/api/environments/999999/nodes")]
    [InlineData("GET", "/api/environments/999999/settings")]
    [InlineData("GET", "/api/environments/999999/validation")]
    [InlineData("PUT", "/api/environments/999999")]
    [InlineData("DELETE", "/api/environments/999999?confirm=x")]
    [InlineData("GET", "/api/environments/{env}/nodes/999999")]
    [InlineData("DELETE", "/api/environments/{env}/nodes/999999")]
    [InlineData("PUT", "/api/environments/{env}/nodes/999999/primary")]
    [InlineData("DELETE", "/api/users/999999")]
    public async Task UnknownIds_Return404Problem(string method, string url)
    {
        using var admin = await seeded.App.AdminApiAsync();
        using var request = new HttpRequestMessage(new HttpMethod(method), url.Replace("{env}", seeded.EnvironmentId.ToString()));
        if (method == "PUT") request.Content = new StringContent("""{"name":"x"}""", Encoding.UTF8, "application/json");
        var response = await admin.SendAsync(request);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Validation_ListsErrorsAndWarnings()
    {
        using var admin = await seeded.App.AdminApiAsync();
        var v = await admin.GetFromJsonAsync<JsonElement>($"/api/environments/{seeded.EnvironmentId}/validation");
        // mistral-1 has no key and the environment has none: an error. Two mistral nodes: no HA warning.
        Assert.False(v.GetProperty("valid").GetBoolean());
        Assert.Contains(v.GetProperty("errors").EnumerateArray(), e => e.GetProperty("field").GetString() == "privateKey");

        var id = await SeededConsole.IdOf(await admin.PostAsJsonAsync("/api/environments", new { name = "one mistral" }));
        await SeededConsole.IdOf(await admin.PostAsJsonAsync($"/api/environments/{id}/nodes", new { name = "c1", address = "10.1.0.1", roles = new[] { "controller", "mistral" } }));
        var one = await admin.GetFromJsonAsync<JsonElement>($"/api/environments/{id}/validation");
        Assert.Contains(one.GetProperty("warnings").EnumerateArray(), w => w.GetProperty("message").GetString()!.Contains("at least 2 Mistral nodes"));
    }

    [Fact]
    public async Task Settings_PutWithMaskedOrOmittedSecrets_KeepsThem_AndRegenerateChangesOne()
    {
        var before = await seeded.GeneratedSecretsAsync();
        Assert.All(before, s => Assert.Matches("^[A-Za-z0-9]{24}$", s));
        using var admin = await seeded.App.AdminApiAsync();
        var url = $"/api/environments/{seeded.EnvironmentId}/settings";
        var masked = await admin.GetFromJsonAsync<JsonElement>(url);
        Assert.Equal("******", masked.GetProperty("dbPassword").GetString());
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync(url, new { dbPassword = "******", debug = true })).StatusCode);
        Assert.Equal(before, await seeded.GeneratedSecretsAsync());

        Assert.Equal(HttpStatusCode.NoContent, (await admin.PostAsync($"{url}/secrets/rabbitPassword/regenerate", null)).StatusCode);
        var after = await seeded.GeneratedSecretsAsync();
        Assert.Equal(before[0], after[0]);
        Assert.NotEqual(before[2], after[2]);
        await AssertProblemAsync(await admin.PostAsync($"{url}/secrets/rootPassword/regenerate", null), "secret");
    }

    private static async Task<string> AssertProblemAsync(HttpResponseMessage response, string field)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = JsonDocument.Parse(body).RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out var messages), $"no error for '{field}' in {body}");
        Assert.True(messages.GetArrayLength() > 0);
        return body;
    }
}
