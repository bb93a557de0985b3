using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Mistral.Console.Tests.Shared;

namespace Mistral.Console.BrowserTests;

/// <summary>
/// A deployment watched in a real Chromium against real sshd nodes: the progress bar and the log
/// tail move without a reload, a failed task is re-run from its table row and turns green.
/// </summary>
[Collection(SshdCollection.Name)]
public sealed partial class DeploymentFlowTests(SshdFixture sshd) : IAsyncLifetime
{
    private const string Chromium = "/usr/bin/chromium";
    private static readonly string[] ChromiumFlags =
        ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);

    private readonly string _dir = Directory.CreateTempSubdirectory("mc-browser-deploy-").FullName;
    private KestrelConsole _app = default!;
    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private string Flag => Path.Combine(_dir, "fixed");

    public async Task InitializeAsync()
    {
        if (!File.Exists(Chromium))
            Assert.Fail($"{Chromium} is missing: run ./test.sh from the repository root (it installs Debian's chromium), or apt-get install chromium.");
        var catalog = Path.Combine(_dir, "catalog.yaml");
        // talk prints slowly on both nodes, talk-more after it on the Mistral node; flaky fails
        // on the controller until the flag file exists.
        await File.WriteAllTextAsync(catalog, $$"""
            tasks:
              - id: talk
                roles: [controller, mistral]
                script: |
                  for i in $(seq 1 30); do echo "line $i"; sleep 0.1; done
              - id: talk-more
                roles: [mistral]
                requires: [talk]
                script: |
                  for i in $(seq 31 60); do echo "line $i"; sleep 0.1; done
              - id: flaky
                roles: [controller]
                requires: [talk]
                script: |
                  if [ ! -f {{Flag}} ]; then echo "flag file missing" >&2; exit 7; fi
                  echo "flag found"
            """);
        _app = new KestrelConsole(new Dictionary<string, string>
        {
            ["MistralConsole:Engine:CatalogPath"] = catalog,
            ["MistralConsole:Engine:ChecksAfterDeployment"] = "false",
            ["MistralConsole:Ssh:RuntimeRoot"] = _dir,
        });
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = Chromium, Headless = true, Args = ChromiumFlags });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        _app.Dispose();
        try { Directory.Delete(_dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [Fact]
    public async Task Deploy_ShowsProgressAndLogLive_ThenRerunOfTheFailedTask_TurnsItGreen()
    {
        var baseUrl = _app.Start();
        var env = await CreateEnvironmentAsync(baseUrl);
        var context = await _browser!.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(60_000);
        Assertions.SetDefaultExpectTimeout(60_000);
        page.Dialog += async (_, dialog) => await dialog.AcceptAsync();
        await PageChecks.WithEvidenceAsync(page, "deploy", () => RunFlowAsync(page, baseUrl, env));
    }

    private async Task RunFlowAsync(IPage page, string baseUrl, long env)
    {
        var scriptErrors = PageChecks.CollectScriptErrors(page);

        await page.GotoAsync(baseUrl + "/signin");
        await PageChecks.SignInAsync(page, "admin", _app.InitialAdminPassword);

        // The Deployments tab: the checklist passes, Deploy asks for confirmation (accepted above).
        await page.GotoAsync($"{baseUrl}/environments/{env}/deployments");
        await Assertions.Expect(page.Locator("#validation-panel")).ToContainTextAsync("ready");
        await page.ClickAsync("[data-action=dry-run]");
        await Assertions.Expect(page.Locator("[data-testid=dry-run-plan] [data-plan-task=flaky]")).ToHaveCountAsync(1);
        await page.ClickAsync("[data-action=deploy]");
        await page.WaitForURLAsync(DeploymentUrl());

        // From here on the page must never reload: a marker on window would vanish.
        await page.EvaluateAsync("() => { window.mcNoReload = true; }");
        var overall = page.Locator("[data-testid=progress-overall]");
        var firstProgress = int.Parse(await overall.GetAttributeAsync("aria-valuenow") ?? "0");
        var firstRows = await page.Locator("#log-lines .ll").CountAsync();
        await UntilAsync(async () => int.Parse(await overall.GetAttributeAsync("aria-valuenow") ?? "0") > firstProgress, "the progress bar to move");
        await UntilAsync(async () => await page.Locator("#log-lines .ll").CountAsync() > firstRows, "new log lines");
        await Assertions.Expect(page.Locator("#log-lines")).ToContainTextAsync("line 30");
        await Assertions.Expect(page.Locator("#log-lines")).ToContainTextAsync("line 60");

        // The deployment ends failed: flaky exited 7.
        await Assertions.Expect(page.Locator("[data-testid=deployment-status]")).ToHaveTextAsync("failed");
        var flaky = page.Locator("[data-testid=task-table] tr[data-task=flaky]");
        await Assertions.Expect(flaky).ToHaveAttributeAsync("data-status", "failed");
        await Assertions.Expect(page.Locator("#log-lines .ll-err")).ToContainTextAsync(["flag file missing"]);
        Assert.Equal("4", await overall.GetAttributeAsync("aria-valuenow"));
        Assert.Equal("failed", await overall.GetAttributeAsync("data-outcome"));

        // Fix the cause, re-run just that task from its row.
        await File.WriteAllTextAsync(Flag, "");
        await flaky.Locator("[data-action=rerun-task]").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=action-alert]")).ToContainTextAsync("Re-run started");
        await Assertions.Expect(flaky).ToHaveAttributeAsync("data-status", "succeeded");
        await Assertions.Expect(page.Locator("[data-testid=deployment-status]")).ToHaveTextAsync("succeeded");
        await Assertions.Expect(flaky.Locator("details.attempts li[data-attempt='1']")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#log-lines")).ToContainTextAsync("flag found");
        await Assertions.Expect(overall).ToHaveAttributeAsync("data-outcome", "succeeded");
        Assert.True(await page.EvaluateAsync<bool>("() => window.mcNoReload === true"), "the deployment page reloaded");
        // Every line arrived once, however the stream reconnected.
        var seqs = await page.Locator("#log-lines .ll").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.seq)");
        Assert.Equal(seqs.Length, seqs.Distinct().Count());

        await Screenshots.TakeAsync(page, "screenshot-deployment.png");
        Assert.Empty(scriptErrors);
    }

    private static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Waited {Deadline.TotalSeconds} s for {what}.");
            await Task.Delay(50);
        }
    }

    /// <summary>The environment is set up through the API; the browser part is about deploying.</summary>
    private async Task<long> CreateEnvironmentAsync(string baseUrl)
    {
        using var http = new HttpClient { BaseAddress = new Uri(baseUrl) };
        var token = await (await http.PostAsJsonAsync("/api/auth/token", new { username = "admin", password = _app.InitialAdminPassword }))
            .Content.ReadFromJsonAsync<JsonElement>();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.GetProperty("token").GetString());
        async Task<long> IdAsync(HttpResponseMessage r)
        {
            var body = await r.Content.ReadAsStringAsync();
            Assert.True(r.IsSuccessStatusCode, body);
            return JsonDocument.Parse(body).RootElement.GetProperty("id").GetInt64();
        }
        var (c, m) = (await sshd.StartNodeAsync("web-c1"), await sshd.StartNodeAsync("web-m1"));
        var env = await IdAsync(await http.PostAsJsonAsync("/api/environments", new { name = "Live cloud" }));
        Assert.True((await http.PutAsJsonAsync($"/api/environments/{env}/ssh-key", new { privateKey = sshd.PrivateKeyText })).IsSuccessStatusCode);
        // As the sudo user: root's .bashrc on this machine kind costs ~2 s per command.
        await IdAsync(await http.PostAsJsonAsync($"/api/environments/{env}/nodes",
            new { name = c.Name, address = c.Address, sshPort = c.Port, sshUser = SshdFixture.SudoUser, roles = new[] { "controller" } }));
        await IdAsync(await http.PostAsJsonAsync($"/api/environments/{env}/nodes",
            new { name = m.Name, address = m.Address, sshPort = m.Port, sshUser = SshdFixture.SudoUser, roles = new[] { "mistral" } }));
        Assert.True((await http.PutAsJsonAsync($"/api/environments/{env}/settings", new { enabled = true })).IsSuccessStatusCode);
        return env;
    }

    [GeneratedRegex(@"/deployments/\d+$")]
    private static partial Regex DeploymentUrl();
}
