using System.Net;
using System.Net.Http.Json;

namespace Mistral.Console.Web.Tests;

/// <summary>Generated passwords and keys: masked for support, revealed only to admins, never in logs.</summary>
public sealed class SecretsTests(SeededConsole seeded) : IClassFixture<SeededConsole>
{
    private string SettingsPage => $"/environments/{seeded.EnvironmentId}/settings";

    [Fact]
    public async Task Support_SeesMaskedSettings_WithoutRevealButtonsOrPostingForms()
    {
        var secrets = await seeded.GeneratedSecretsAsync();
        using var support = await seeded.App.SignInAsync("support1", SeededConsole.SupportPassword);
        foreach (var page in new[] { SettingsPage, $"/environments/{seeded.EnvironmentId}", "/environments" })
        {
            var html = await support.GetStringAsync(page);
            foreach (var secret in secrets) Assert.DoesNotContain(secret, html);
            Assert.DoesNotContain("PRIVATE KEY", html);
            var doc = ClientExtensions.Parse(html);
            Assert.Empty(doc.QuerySelectorAll("[data-action=reveal]"));
            Assert.Empty(doc.QuerySelectorAll("[data-action=regenerate]"));
            // Only the sign-out form posts.
            Assert.All(doc.QuerySelectorAll("form[method=post]"), f => Assert.Equal("/signout", f.GetAttribute("action")));
        }
        var settings = ClientExtensions.Parse(await support.GetStringAsync(SettingsPage));
        Assert.Equal(3, settings.QuerySelectorAll(".secret-mask").Length);
        Assert.NotNull(settings.QuerySelector("fieldset[disabled]"));
    }

    [Fact]
    public async Task Support_CannotReveal_ThroughPageFragmentOrApi()
    {
        using var support = await seeded.App.SignInAsync("support1", SeededConsole.SupportPassword);
        Assert.Equal(HttpStatusCode.Forbidden, (await support.GetAsync($"{SettingsPage}/secrets/dbPassword/reveal")).StatusCode);
        using var script = await seeded.App.BearerClientAsync("support1", SeededConsole.SupportPassword);
        Assert.Equal(HttpStatusCode.Forbidden, (await script.GetAsync($"/api/environments/{seeded.EnvironmentId}/settings?reveal=true")).StatusCode);
        var masked = await script.GetStringAsync($"/api/environments/{seeded.EnvironmentId}/settings");
        foreach (var secret in await seeded.GeneratedSecretsAsync()) Assert.DoesNotContain(secret, masked);
        Assert.Contains("\"******\"", masked);
    }

    [Fact]
    public async Task Admin_Reveals_WithNoStore_AndTheRevealIsAudited()
    {
        using var admin = await seeded.App.SignInAsAdminAsync();
        var response = await admin.GetAsync($"{SettingsPage}/secrets/keystonePassword/reveal");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("no-store", response.Headers.CacheControl?.ToString());
        var value = ClientExtensions.Parse(await response.Content.ReadAsStringAsync()).QuerySelector("[data-secret]")!.TextContent;
        Assert.Matches("^[A-Za-z0-9]{24}$", value);
        Assert.Contains(value, await seeded.GeneratedSecretsAsync());

        using var api = await seeded.App.AdminApiAsync();
        var audit = await api.GetStringAsync("/api/audit");
        Assert.Contains("secret.reveal", audit);
        Assert.DoesNotContain(value, audit);
    }

    [Fact]
    public async Task Admin_RegeneratesWithHtmx_UsingTheHeaderToken()
    {
        using var admin = await seeded.App.SignInAsAdminAsync();
        var before = await seeded.GeneratedSecretsAsync();
        var token = await admin.AntiforgeryTokenAsync(SettingsPage);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{SettingsPage}/secrets/dbPassword/regenerate");
        request.Headers.Add("HX-Request", "true");
        request.Headers.Add("RequestVerificationToken", token);
        var response = await admin.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("regenerated", html);
        var after = await seeded.GeneratedSecretsAsync();
        Assert.NotEqual(before[0], after[0]);
        Assert.DoesNotContain(after[0], html);
    }

    [Fact]
    public async Task NoSecretOrKey_EverReachesTheLog_AfterAFullFlow()
    {
        // A full flow: pages, forms, reveal, regenerate, API with keys and passwords.
        using var admin = await seeded.App.SignInAsAdminAsync();
        await admin.GetStringAsync($"/environments/{seeded.EnvironmentId}");
        await admin.GetStringAsync(SettingsPage);
        await admin.GetStringAsync($"{SettingsPage}/secrets/dbPassword/reveal");
        await admin.PostFormAsync(SettingsPage, "settings", new()
        {
            ["Input.Enabled"] = "true", ["Input.AdminSource"] = "explicit", ["Input.AdminAuthUrl"] = "http://keystone:5000/v3",
            ["Input.AdminUser"] = "admin", ["Input.AdminProject"] = "admin", ["Input.AdminPassword"] = "Keystone-Admin-Secret-1", ["Input.AuthMode"] = "keystone",
        });
        using var api = await seeded.App.AdminApiAsync();
        await api.GetStringAsync($"/api/environments/{seeded.EnvironmentId}/settings?reveal=true");
        await api.PutAsJsonAsync($"/api/environments/{seeded.EnvironmentId}/ssh-key", new { privateKey = seeded.NodeKey });
        await api.PostAsJsonAsync($"/api/environments/{seeded.EnvironmentId}/nodes", new { name = "bad key", address = "10.9.9.9", privateKey = seeded.NodeKey + "garbage" });
        await api.PostAsJsonAsync("/api/auth/token", new { username = "admin", password = "Wrong-Password-Typed-1" });

        var log = seeded.App.Logs.All;
        Assert.NotEmpty(seeded.App.Logs.Lines);
        foreach (var secret in await seeded.GeneratedSecretsAsync()) Assert.DoesNotContain(secret, log);
        Assert.DoesNotContain(seeded.App.InitialAdminPassword, log);
        Assert.DoesNotContain(SeededConsole.SupportPassword, log);
        Assert.DoesNotContain("Keystone-Admin-Secret-1", log);
        Assert.DoesNotContain("Wrong-Password-Typed-1", log);
        Assert.DoesNotContain("PRIVATE KEY", log);
        var keyBody = seeded.NodeKey.Split('\n')[1];
        Assert.DoesNotContain(keyBody, log);

        // And not at rest in the clear either.
        var db = System.Text.Encoding.UTF8.GetString(await File.ReadAllBytesAsync(Path.Combine(seeded.App.DataDirectory, "mistral-console.db")));
        foreach (var secret in await seeded.GeneratedSecretsAsync()) Assert.DoesNotContain(secret, db);
        Assert.DoesNotContain(keyBody, db);
    }
}
