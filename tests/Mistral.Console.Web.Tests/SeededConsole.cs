using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Mistral.Console.Tests.Shared;

namespace Mistral.Console.Web.Tests;

/// <summary>The app with real rows to aim at: an environment with two nodes and the plugin
/// enabled (so generated passwords exist), a support user and a spare user.</summary>
public sealed class SeededConsole : IAsyncLifetime
{
    public const string SupportPassword = "support-password-1";
    public const string SparePassword = "spare-password-123";

    public ConsoleFactory App { get; } = new();
    public long EnvironmentId { get; private set; }
    public long NodeId { get; private set; }
    public long SpareUserId { get; private set; }
    public string NodeKey { get; } = TestKeys.Ed25519;

    public async Task InitializeAsync()
    {
        using var admin = await App.AdminApiAsync();
        EnvironmentId = await IdOf(await admin.PostAsJsonAsync("/api/environments", new { name = "seeded" }));
        NodeId = await IdOf(await admin.PostAsJsonAsync($"/api/environments/{EnvironmentId}/nodes",
            new { name = "ctl-1", address = "10.0.0.11", roles = new[] { "controller", "mistral" }, privateKey = NodeKey }));
        await IdOf(await admin.PostAsJsonAsync($"/api/environments/{EnvironmentId}/nodes",
            new { name = "mistral-1", address = "10.0.0.21", roles = new[] { "mistral" } }));
        var enable = await admin.PutAsJsonAsync($"/api/environments/{EnvironmentId}/settings", new { enabled = true });
        Assert.Equal(HttpStatusCode.OK, enable.StatusCode);
        await App.CreateUserAsync("support1", "support", SupportPassword);
        SpareUserId = await IdOf(await admin.PostAsJsonAsync("/api/users", new { username = "spare", role = "support", password = SparePassword }));
    }

    public Task DisposeAsync()
    {
        App.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>The three generated passwords, as an admin reveals them through the API.</summary>
    public async Task<IReadOnlyList<string>> GeneratedSecretsAsync()
    {
        using var admin = await App.AdminApiAsync();
        var json = await admin.GetFromJsonAsync<JsonElement>($"/api/environments/{EnvironmentId}/settings?reveal=true");
        return new[] { "dbPassword", "keystonePassword", "rabbitPassword" }.Select(n => json.GetProperty(n).GetString()!).ToList();
    }

    public static async Task<long> IdOf(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetInt64();
    }
}
