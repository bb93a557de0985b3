using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Mistral.Console.Tests.Shared;

namespace Mistral.Console.BrowserTests;

/// <summary>
/// The admin's first visit in a real Chromium: sign in, describe an environment with two nodes,
/// see the layout warning, enable the plugin, see masked passwords and reveal one.
/// </summary>
public sealed partial class BrowserFlowTests : IAsyncLifetime
{
    private const string Chromium = "/usr/bin/chromium";

    // Debian's Chromium, never a downloaded one (see shared/design/stack.md).
    private static readonly string[] ChromiumFlags =
        ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

    private readonly KestrelConsole _app = new();
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public async Task InitializeAsync()
    {
        if (!File.Exists(Chromium))
            Assert.Fail($"{Chromium} is missing: run ./test.sh from the repository root (it installs Debian's chromium), or apt-get install chromium.");
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = Chromium, Headless = true, Args = ChromiumFlags });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        _app.Dispose();
    }

    [Fact]
    public async Task Admin_DescribesAnEnvironment_EnablesMistral_AndRevealsAGeneratedPassword()
    {
        var baseUrl = _app.Start();
        var context = await _browser!.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        // Generous: a loaded 2-CPU CI machine is slow, and a timeout should mean broken, not busy.
        page.SetDefaultTimeout(60_000);
        Assertions.SetDefaultExpectTimeout(20_000);
        await PageChecks.WithEvidenceAsync(page, "browser", () => RunFlowAsync(page, baseUrl));
    }

    private async Task RunFlowAsync(IPage page, string baseUrl)
    {
        var scriptErrors = PageChecks.CollectScriptErrors(page);

        // Anonymous: sent to the sign-in page.
        await page.GotoAsync(baseUrl + "/");
        Assert.EndsWith("/signin", new Uri(page.Url).AbsolutePath);
        await PageChecks.SignInAsync(page, "admin", _app.InitialAdminPassword);

        // Create an environment.
        await page.FillAsync("#env-name", "Browser cloud");
        await page.ClickAsync("form:has(#env-name) button[type=submit]");
        await page.WaitForURLAsync(EnvironmentUrl());
        var environmentUrl = page.Url.Split('?')[0];

        // Two nodes: a controller and a Mistral node.
        await AddNodeAsync(page, "ctl-1", "10.0.0.11", controller: true, mistral: false);
        await AddNodeAsync(page, "mistral-1", "10.0.0.21", controller: false, mistral: true);

        // One key for the whole environment.
        await page.FillAsync("#env-key", TestKeys.Ed25519);
        await page.ClickAsync("form:has(#env-key) button[type=submit]");
        await page.WaitForSelectorAsync("[data-testid=env-public-key]");

        var ctl = page.Locator("tr[data-node='ctl-1']");
        await Assertions.Expect(ctl).ToContainTextAsync("Primary controller");
        await Assertions.Expect(ctl).ToContainTextAsync("environment key");
        await Assertions.Expect(page.Locator("tr[data-node='mistral-1']")).ToContainTextAsync("Mistral");

        // The layout check arrives through htmx: one Mistral node is a warning.
        var warning = page.Locator("#validation-panel [data-severity=warning]");
        await Assertions.Expect(warning).ToContainTextAsync("It is recommended to have at least 2 Mistral nodes");
        await Assertions.Expect(page.Locator("#validation-panel")).ToContainTextAsync("The Mistral plugin is not enabled");
        await Screenshots.TakeAsync(page, "screenshot.png");

        // Enable the plugin: three generated passwords, masked.
        await page.ClickAsync("a[data-tab=settings]");
        await page.WaitForURLAsync(environmentUrl + "/settings");
        await page.CheckAsync("#enabled");
        await page.ClickAsync("[data-testid=settings-form] button[type=submit]");
        await page.WaitForSelectorAsync(".alert-success");
        var masks = page.Locator(".secret-mask");
        await Assertions.Expect(masks).ToHaveCountAsync(3);
        Assert.All(await masks.AllTextContentsAsync(), t => Assert.Equal("••••••", t.Trim()));

        // Reveal one: 24 letters and digits, fetched by htmx.
        await page.ClickAsync("#secret-dbPassword [data-action=reveal]");
        var revealed = page.Locator("#secret-dbPassword code[data-secret=dbPassword]");
        await Assertions.Expect(revealed).ToHaveTextAsync(new Regex("^[A-Za-z0-9]{24}$"));
        await Assertions.Expect(page.Locator("#secret-keystonePassword .secret-mask")).ToHaveTextAsync("••••••");

        Assert.Empty(scriptErrors);
    }

    private static async Task AddNodeAsync(IPage page, string name, string address, bool controller, bool mistral)
    {
        await page.ClickAsync("[data-testid=add-node]");
        await page.WaitForSelectorAsync("[data-testid=node-form]");
        await page.FillAsync("#node-name", name);
        await page.FillAsync("#node-address", address);
        if (controller) await page.CheckAsync("#role-controller");
        if (mistral) await page.CheckAsync("#role-mistral");
        await page.ClickAsync("[data-testid=node-form] button[type=submit]");
        await page.WaitForSelectorAsync($"tr[data-node='{name}']");
    }

    [GeneratedRegex(@"/environments/\d+(\?.*)?$")]
    private static partial Regex EnvironmentUrl();
}
