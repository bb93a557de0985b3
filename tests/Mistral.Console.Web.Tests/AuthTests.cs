using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Mistral.Console.Web.Auth;

namespace Mistral.Console.Web.Tests;

/// <summary>Sign-in, tokens, lock-out, antiforgery. Each test uses its own app: they move the clock and lock accounts.</summary>
public sealed class AuthTests : IDisposable
{
    private readonly ConsoleFactory _app = new();

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task FirstStart_WritesTheAdminPasswordTo0600File_AndLogsOnlyItsPath()
    {
        var password = _app.InitialAdminPassword;
        var file = Path.Combine(_app.DataDirectory, "initial-admin-password");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Matches("^[A-Za-z0-9]{24}$", password);
        Assert.Single(_app.Logs.Lines, l => l.Contains("initial-admin-password", StringComparison.Ordinal));
        Assert.DoesNotContain(password, _app.Logs.All);
        using var client = await _app.SignInAsAdminAsync();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/users")).StatusCode);
    }

    [Fact]
    public async Task WrongPassword_AndUnknownUser_GetTheSameMessage()
    {
        _ = _app.InitialAdminPassword;
        var client = _app.NewClient();
        var wrong = await client.PostFormAsync("/signin", "signin", new() { ["Input.Username"] = "admin", ["Input.Password"] = "wrong-password-123" });
        var unknown = await client.PostFormAsync("/signin", "signin", new() { ["Input.Username"] = "nobody", ["Input.Password"] = "wrong-password-123" });
        foreach (var r in new[] { wrong, unknown })
        {
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            Assert.Contains(AccountService.SignInFailedMessage, await r.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task FiveFailedSignIns_LockTheAccountForFiveMinutes()
    {
        var password = _app.InitialAdminPassword;
        var api = _app.NewClient();
        for (var i = 0; i < 5; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await api.PostAsJsonAsync("/api/auth/token", new { username = "admin", password = "wrong-" + i })).StatusCode);

        // Locked: even the right password fails, with the same message as a wrong one.
        var locked = await api.PostAsJsonAsync("/api/auth/token", new { username = "admin", password });
        Assert.Equal(HttpStatusCode.Unauthorized, locked.StatusCode);
        Assert.Contains(AccountService.SignInFailedMessage, await locked.Content.ReadAsStringAsync());
        var page = await api.PostFormAsync("/signin", "signin", new() { ["Input.Username"] = "admin", ["Input.Password"] = password });
        Assert.Equal(HttpStatusCode.BadRequest, page.StatusCode);

        _app.Clock.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.PostAsJsonAsync("/api/auth/token", new { username = "admin", password })).StatusCode);
        _app.Clock.Advance(TimeSpan.FromMinutes(1.1));
        Assert.Equal(HttpStatusCode.OK, (await api.PostAsJsonAsync("/api/auth/token", new { username = "admin", password })).StatusCode);
    }

    [Fact]
    public async Task Token_IsIssued_Used_Expires_AndCanBeRevoked()
    {
        var password = _app.InitialAdminPassword;
        var anonymous = _app.NewClient();
        var issued = await (await anonymous.PostAsJsonAsync("/api/auth/token", new { username = "admin", password })).Content.ReadFromJsonAsync<JsonElement>();
        var token = issued.GetProperty("token").GetString()!;
        var expiresAt = issued.GetProperty("expiresAt").GetDateTimeOffset();
        Assert.InRange(expiresAt - _app.Clock.GetUtcNow(), TimeSpan.FromHours(11.9), TimeSpan.FromHours(12.1));

        var client = _app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/environments")).StatusCode);

        // Only the hash is stored.
        var db = await File.ReadAllBytesAsync(Path.Combine(_app.DataDirectory, "mistral-console.db"));
        Assert.DoesNotContain(token, Encoding.UTF8.GetString(db));

        _app.Clock.Advance(TimeSpan.FromHours(12.01));
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/environments")).StatusCode);

        using var second = await _app.AdminApiAsync();
        Assert.Equal(HttpStatusCode.OK, (await second.GetAsync("/api/environments")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await second.DeleteAsync("/api/auth/token")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await second.GetAsync("/api/environments")).StatusCode);

        var garbage = _app.CreateClient();
        garbage.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "mct_not-a-real-token");
        Assert.Equal(HttpStatusCode.Unauthorized, (await garbage.GetAsync("/api/environments")).StatusCode);
    }

    [Fact]
    public async Task Admin_RevokesAUsersTokens()
    {
        await _app.CreateUserAsync("ops", "support", "ops-password-123");
        using var ops = await _app.BearerClientAsync("ops", "ops-password-123");
        Assert.Equal(HttpStatusCode.OK, (await ops.GetAsync("/api/environments")).StatusCode);
        using var admin = await _app.AdminApiAsync();
        var users = await admin.GetFromJsonAsync<JsonElement>("/api/users");
        var id = users.EnumerateArray().Single(u => u.GetProperty("username").GetString() == "ops").GetProperty("id").GetInt64();
        Assert.Equal(HttpStatusCode.OK, (await admin.DeleteAsync($"/api/users/{id}/tokens")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await ops.GetAsync("/api/environments")).StatusCode);
    }

    [Fact]
    public async Task ChangingAPassword_EndsOtherCookieSessions_AndRevokesTokens()
    {
        await _app.CreateUserAsync("ops", "support", "ops-password-123");
        using var browser1 = await _app.SignInAsync("ops", "ops-password-123");
        using var browser2 = await _app.SignInAsync("ops", "ops-password-123");
        using var script = await _app.BearerClientAsync("ops", "ops-password-123");

        var change = await browser1.PostFormAsync("/account/password", "change-password", new()
        {
            ["Input.CurrentPassword"] = "ops-password-123", ["Input.NewPassword"] = "ops-password-456", ["Input.ConfirmPassword"] = "ops-password-456",
        });
        Assert.Equal(HttpStatusCode.Found, change.StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await browser1.GetAsync("/environments")).StatusCode);
        var other = await browser2.GetAsync("/environments");
        Assert.Equal(HttpStatusCode.Found, other.StatusCode);
        Assert.Contains("/signin", other.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.Unauthorized, (await script.GetAsync("/api/environments")).StatusCode);
        using var again = await _app.SignInAsync("ops", "ops-password-456");
    }

    [Fact]
    public async Task Users_PasswordsNeed12Characters_LastAdminAndSelfCannotBeDeleted()
    {
        using var admin = await _app.AdminApiAsync();
        var shortPassword = await admin.PostAsJsonAsync("/api/users", new { username = "x", role = "support", password = "short" });
        Assert.Equal(HttpStatusCode.BadRequest, shortPassword.StatusCode);
        Assert.Contains("\"password\"", await shortPassword.Content.ReadAsStringAsync());
        var badRole = await admin.PostAsJsonAsync("/api/users", new { username = "x", role = "root", password = "long-enough-password" });
        Assert.Contains("\"role\"", await badRole.Content.ReadAsStringAsync());

        var me = await admin.GetFromJsonAsync<JsonElement>("/api/account");
        var self = await admin.DeleteAsync($"/api/users/{me.GetProperty("id").GetInt64()}");
        Assert.Equal(HttpStatusCode.BadRequest, self.StatusCode);

        // A second admin may not delete the first when it would leave none... but may while two exist.
        await _app.CreateUserAsync("admin2", "admin", "admin2-password-1");
        using var admin2 = await _app.BearerClientAsync("admin2", "admin2-password-1");
        Assert.Equal(HttpStatusCode.NoContent, (await admin2.DeleteAsync($"/api/users/{me.GetProperty("id").GetInt64()}")).StatusCode);
        var lastId = (await admin2.GetFromJsonAsync<JsonElement>("/api/account")).GetProperty("id").GetInt64();
        Assert.Equal(HttpStatusCode.BadRequest, (await admin2.DeleteAsync($"/api/users/{lastId}")).StatusCode);
    }

    [Fact]
    public async Task CookiePosts_WithoutAntiforgeryToken_AreRejected()
    {
        using var browser = await _app.SignInAsAdminAsync();
        // A page form without the token.
        var form = await browser.PostAsync("/environments", new FormUrlEncodedContent(new Dictionary<string, string> { ["_handler"] = "create-environment", ["Input.Name"] = "csrf" }));
        Assert.Equal(HttpStatusCode.BadRequest, form.StatusCode);
        // A cookie-authenticated API call without the header.
        var api = await browser.PostAsJsonAsync("/api/environments", new { name = "csrf" });
        Assert.Equal(HttpStatusCode.BadRequest, api.StatusCode);
        // Sign-out and htmx endpoints too.
        Assert.Equal(HttpStatusCode.BadRequest, (await browser.PostAsync("/signout", null)).StatusCode);
        using (var admin = await _app.AdminApiAsync())
            Assert.DoesNotContain("csrf", await admin.GetStringAsync("/api/environments"));

        // With the header (as htmx sends it) the same API call works.
        var token = await browser.AntiforgeryTokenAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/environments") { Content = JsonContent.Create(new { name = "with token" }) };
        request.Headers.Add("RequestVerificationToken", token);
        Assert.Equal(HttpStatusCode.Created, (await browser.SendAsync(request)).StatusCode);
    }

    [Fact]
    public async Task SignIn_RedirectsOnlyToLocalPaths()
    {
        var password = _app.InitialAdminPassword;
        var client = _app.NewClient();
        var token = await client.AntiforgeryTokenAsync("/signin");
        var response = await client.PostAsync("/signin?returnUrl=//evil.example/x", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "signin", ["__RequestVerificationToken"] = token, ["Input.Username"] = "admin", ["Input.Password"] = password,
        }));
        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.DoesNotContain("evil", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task Healthz_IsAnonymous_AndFailsWhenTheStoreIsGone()
    {
        var client = _app.NewClient();
        var ok = await client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("ok", (await ok.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());

        Directory.Delete(_app.DataDirectory, recursive: true);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task OpenApiDocument_IsServed_ToSignedInUsers()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await _app.NewClient().GetAsync("/openapi/v1.json")).StatusCode);
        using var admin = await _app.AdminApiAsync();
        var doc = await admin.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var paths = doc.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/api/environments/{id}/nodes", out _) || paths.TryGetProperty("/api/environments/{id}/nodes/", out _), paths.ToString());
    }
}
