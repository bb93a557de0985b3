using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Mistral.Console.Core.Environments;
using Mistral.Console.Tests.Shared;

namespace Mistral.Console.Web.Tests;

/// <summary>
/// The real app (real SQLite file, Data Protection, auth) on TestServer, in a fresh temporary data
/// directory. Only the clock is replaceable; every log line is captured for the secret checks.
/// </summary>
/// <param name="settings">Extra configuration (an engine catalog for deployment tests).</param>
/// <param name="realClock">Keep the system clock: the engine's SSH runner waits on it, so real deployments need it.</param>
public sealed class ConsoleFactory(IReadOnlyDictionary<string, string>? settings = null, bool realClock = false) : WebApplicationFactory<Program>
{
    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("mc-web-tests-").FullName;
    public TestClock Clock { get; } = new();
    public LogCapture Logs { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        builder.UseSetting("MistralConsole:DataDirectory", DataDirectory);
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) builder.UseSetting(key, value);
        builder.ConfigureLogging(logging =>
        {
            logging.AddProvider(Logs);
            // A provider-specific rule: this provider sees everything, whatever appsettings filters.
            logging.AddFilter<LogCapture>(null, LogLevel.Trace);
        });
        builder.ConfigureTestServices(services =>
        {
            if (!realClock) services.AddSingleton<TimeProvider>(Clock);
            services.TryAddSingleton<IKeyInspector, SshKeygenKeyInspector>();
        });
    }

    /// <summary>Written at first start; reading it starts the app.</summary>
    public string InitialAdminPassword
    {
        get
        {
            _ = Services;
            return File.ReadAllText(Path.Combine(DataDirectory, "initial-admin-password")).Trim();
        }
    }

    public HttpClient NewClient() => CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    /// <summary>A browser-like client signed in through the sign-in form.</summary>
    public async Task<HttpClient> SignInAsync(string username, string password)
    {
        var client = NewClient();
        var response = await client.PostFormAsync("/signin", "signin", new()
        {
            ["Input.Username"] = username,
            ["Input.Password"] = password,
        });
        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        return client;
    }

    public Task<HttpClient> SignInAsAdminAsync() => SignInAsync("admin", InitialAdminPassword);

    /// <summary>A script-like client with a bearer token and no cookies.</summary>
    public async Task<HttpClient> BearerClientAsync(string username, string password)
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        var response = await client.PostAsJsonAsync("/api/auth/token", new { username, password });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var token = (await response.Content.ReadFromJsonAsync<TokenBody>())!.Token;
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public Task<HttpClient> AdminApiAsync() => BearerClientAsync("admin", InitialAdminPassword);

    public async Task CreateUserAsync(string username, string role, string password)
    {
        using var admin = await AdminApiAsync();
        var response = await admin.PostAsJsonAsync("/api/users", new { username, role, password });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { }
    }

    public sealed record TokenBody(string Token, DateTimeOffset ExpiresAt);
}

public static class ClientExtensions
{
    private static readonly HtmlParser Parser = new();

    public static async Task<IHtmlDocument> GetDocumentAsync(this HttpClient client, string url)
    {
        var response = await client.GetAsync(url);
        Assert.True(response.IsSuccessStatusCode, $"GET {url}: {(int)response.StatusCode}");
        return Parser.ParseDocument(await response.Content.ReadAsStringAsync());
    }

    public static IHtmlDocument Parse(string html) => Parser.ParseDocument(html);

    /// <summary>The page's antiforgery request token (the meta tag htmx uses).</summary>
    public static async Task<string> AntiforgeryTokenAsync(this HttpClient client, string page = "/environments")
    {
        var doc = await client.GetDocumentAsync(page);
        var token = doc.QuerySelector("meta[name=request-verification-token]")?.GetAttribute("content");
        Assert.False(string.IsNullOrEmpty(token), "no antiforgery token on " + page);
        return token!;
    }

    /// <summary>Posts a form as a browser does: with the page's antiforgery token and the form's handler name.</summary>
    public static async Task<HttpResponseMessage> PostFormAsync(this HttpClient client, string url, string? formName, Dictionary<string, string> fields, string? tokenPage = null)
    {
        var token = await client.AntiforgeryTokenAsync(tokenPage ?? (url.StartsWith("/signin", StringComparison.Ordinal) ? "/signin" : url));
        var all = new Dictionary<string, string>(fields) { ["__RequestVerificationToken"] = token };
        if (formName is not null) all["_handler"] = formName;
        return await client.PostAsync(url, new FormUrlEncodedContent(all));
    }
}

