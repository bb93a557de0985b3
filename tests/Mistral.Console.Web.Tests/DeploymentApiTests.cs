using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Mistral.Console.Tests.Shared;

namespace Mistral.Console.Web.Tests;

/// <summary>
/// Deploying through the API and the page actions against real sshd nodes, with a small catalog
/// whose "gate" task waits for a flag file: so a deployment stays active exactly as long as the
/// test wants.
/// </summary>
[Collection(SshdCollection.Name)]
public sealed class DeploymentApiTests(SshdFixture sshd) : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mc-web-deploy-").FullName;
    private ConsoleFactory _app = default!;
    private string Flag => Path.Combine(_dir, "open");

    public async Task InitializeAsync()
    {
        var catalog = Path.Combine(_dir, "catalog.yaml");
        await File.WriteAllTextAsync(catalog, $$"""
            tasks:
              - id: prepare
                roles: [controller, mistral]
                script: |
                  echo "prepare on $NODE_NAME"
              - id: gate
                roles: [controller]
                requires: [prepare]
                timeout: 120
                script: |
                  for i in $(seq 1 1200); do [ -f {{Flag}} ] && { echo gate open; exit 0; }; sleep 0.1; done
                  echo "gate still closed" >&2; exit 1
            """);
        _app = new ConsoleFactory(new Dictionary<string, string>
        {
            ["MistralConsole:Engine:CatalogPath"] = catalog,
            ["MistralConsole:Engine:ChecksAfterDeployment"] = "false",
            ["MistralConsole:Engine:StopGracePeriod"] = "00:00:05",
            ["MistralConsole:Ssh:RuntimeRoot"] = _dir,
        }, realClock: true);
    }

    public Task DisposeAsync()
    {
        File.WriteAllText(Flag, ""); // let anything still waiting finish
        _app.Dispose();
        try { Directory.Delete(_dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        return Task.CompletedTask;
    }

    private async Task<(long Env, long Controller, long Mistral)> EnvironmentAsync(HttpClient admin, string name)
    {
        var (c, m) = (await sshd.StartNodeAsync(name + "-c"), await sshd.StartNodeAsync(name + "-m"));
        var env = await SeededConsole.IdOf(await admin.PostAsJsonAsync("/api/environments", new { name }));
        Assert.True((await admin.PutAsJsonAsync($"/api/environments/{env}/ssh-key", new { privateKey = sshd.PrivateKeyText })).IsSuccessStatusCode);
        // As the sudo user: root's .bashrc on this machine kind costs ~2 s per command.
        var ctl = await SeededConsole.IdOf(await admin.PostAsJsonAsync($"/api/environments/{env}/nodes",
            new { name = c.Name, address = c.Address, sshPort = c.Port, sshUser = SshdFixture.SudoUser, roles = new[] { "controller" } }));
        var mis = await SeededConsole.IdOf(await admin.PostAsJsonAsync($"/api/environments/{env}/nodes",
            new { name = m.Name, address = m.Address, sshPort = m.Port, sshUser = SshdFixture.SudoUser, roles = new[] { "mistral" } }));
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync($"/api/environments/{env}/settings", new { enabled = true })).StatusCode);
        return (env, ctl, mis);
    }

    private static async Task<JsonElement> WaitAsync(HttpClient admin, long id, Func<string, bool> until)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (true)
        {
            var d = await admin.GetFromJsonAsync<JsonElement>($"/api/deployments/{id}");
            if (until(d.GetProperty("status").GetString()!)) return d;
            Assert.True(DateTime.UtcNow < deadline, $"deployment {id} is still {d.GetProperty("status")} ({d.GetProperty("message")})");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Deploy_InvalidEnvironment_Answers400WithFieldErrors_AndStartsNothing()
    {
        using var admin = await _app.AdminApiAsync();
        var env = await SeededConsole.IdOf(await admin.PostAsJsonAsync("/api/environments", new { name = "empty" }));
        var response = await admin.PostAsJsonAsync($"/api/environments/{env}/deployments", new { });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.NotEmpty(problem.GetProperty("errors").EnumerateObject());
        Assert.Empty((await admin.GetFromJsonAsync<JsonElement>($"/api/environments/{env}/deployments")).EnumerateArray());

        // The page action says the same as an alert, with the 400 kept.
        using var browser = await _app.SignInAsAdminAsync();
        var page = await HtmxPostAsync(browser, $"/environments/{env}/deployments", $"/environments/{env}/deployments/start", []);
        Assert.Equal(HttpStatusCode.BadRequest, page.Status);
        Assert.Equal("danger", page.Doc.QuerySelector("[data-testid=action-alert]")!.GetAttribute("data-kind"));
        var tab = await browser.GetDocumentAsync($"/environments/{env}/deployments");
        Assert.NotNull(tab.QuerySelector("[data-action=deploy][disabled]"));
        Assert.NotNull(tab.QuerySelector("[data-testid=deploy-blocked]"));
    }

    [Fact]
    public async Task Deploy_DryRun_Conflict_AndRerunScopes()
    {
        using var admin = await _app.AdminApiAsync();
        using var browser = await _app.SignInAsAdminAsync();
        var (env, ctl, mis) = await EnvironmentAsync(admin, "api-" + Guid.NewGuid().ToString("N")[..6]);
        var tab = $"/environments/{env}/deployments";

        // Dry run: the plan per node, nothing stored.
        var plan = await admin.PostAsJsonAsync($"/api/environments/{env}/deployments", new { dryRun = true });
        Assert.Equal(HttpStatusCode.OK, plan.StatusCode);
        var nodes = (await plan.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("nodes").EnumerateArray().ToList();
        Assert.Equal(2, nodes.Count);
        Assert.Equal(["prepare", "gate"], nodes.Single(n => n.GetProperty("nodeId").GetInt64() == ctl).GetProperty("tasks").EnumerateArray().Select(t => t.GetProperty("taskId").GetString()!).ToArray());
        var pagePlan = await HtmxPostAsync(browser, tab, $"/environments/{env}/deployments/plan", [("nodes", mis.ToString())]);
        Assert.Equal(HttpStatusCode.OK, pagePlan.Status);
        Assert.Single(pagePlan.Doc.QuerySelectorAll("[data-plan-node]"));
        Assert.NotNull(pagePlan.Doc.QuerySelector("[data-plan-task=prepare]"));
        Assert.Empty((await admin.GetFromJsonAsync<JsonElement>($"/api/environments/{env}/deployments")).EnumerateArray());

        // Deploy from the page: 202 and the redirect to the deployment; a second one is a 409.
        var started = await HtmxPostAsync(browser, tab, $"/environments/{env}/deployments/start", []);
        Assert.Equal(HttpStatusCode.Accepted, started.Status);
        var location = started.Headers.GetValues("HX-Redirect").Single();
        var id = long.Parse(location.Split('/').Last());
        var second = await admin.PostAsJsonAsync($"/api/environments/{env}/deployments", new { });
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        Assert.Contains($"#{id}", await second.Content.ReadAsStringAsync());
        var secondPage = await HtmxPostAsync(browser, tab, $"/environments/{env}/deployments/start", []);
        Assert.Equal(HttpStatusCode.Conflict, secondPage.Status);
        Assert.Contains($"#{id}", secondPage.Doc.QuerySelector("[data-testid=action-alert]")!.TextContent);
        // A re-run while it runs is a conflict too.
        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsJsonAsync($"/api/deployments/{id}/rerun", new { scope = "failed" })).StatusCode);

        File.WriteAllText(Flag, "");
        var done = await WaitAsync(admin, id, s => s is "succeeded" or "failed");
        Assert.Equal("succeeded", done.GetProperty("status").GetString());
        var deploymentPage = await browser.GetDocumentAsync(location);
        Assert.Equal(3, deploymentPage.QuerySelectorAll("[data-testid=task-table] tbody tr[data-status=succeeded]").Length);
        Assert.Contains("gate open", deploymentPage.QuerySelector("#log-lines")!.TextContent);

        // Re-run scopes are validated before anything runs.
        async Task<(HttpStatusCode, JsonElement)> RerunAsync(object body)
        {
            var r = await admin.PostAsJsonAsync($"/api/deployments/{id}/rerun", body);
            return (r.StatusCode, await r.Content.ReadFromJsonAsync<JsonElement>());
        }
        var (status, problem) = await RerunAsync(new { scope = "everything" });
        Assert.Equal((HttpStatusCode.BadRequest, true), (status, problem.GetProperty("errors").TryGetProperty("scope", out _)));
        (status, problem) = await RerunAsync(new { scope = "task" });
        Assert.Equal((HttpStatusCode.BadRequest, true), (status, problem.GetProperty("errors").TryGetProperty("taskId", out _)));
        (status, problem) = await RerunAsync(new { scope = "from", taskId = "no-such-task" });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        (status, problem) = await RerunAsync(new { scope = "task", taskId = "gate", nodes = new[] { mis } });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        (status, _) = await RerunAsync(new { scope = "failed" });
        Assert.Equal(HttpStatusCode.BadRequest, status); // nothing failed

        // A valid one from the page: attempt 2 of gate on the controller, history kept.
        var rerun = await HtmxPostAsync(browser, location, $"/deployments/{id}/rerun", [("scope", "task"), ("taskId", "gate"), ("nodes", ctl.ToString())]);
        Assert.Equal(HttpStatusCode.Accepted, rerun.Status);
        done = await WaitAsync(admin, id, s => s is "succeeded" or "failed");
        Assert.Equal("succeeded", done.GetProperty("status").GetString());
        var runs = done.GetProperty("runs").EnumerateArray().Where(r => r.GetProperty("taskId").GetString() == "gate").ToList();
        Assert.Equal([1, 2], runs.Select(r => r.GetProperty("attempt").GetInt32()).Order().ToArray());
    }

    private static async Task<(HttpStatusCode Status, AngleSharp.Html.Dom.IHtmlDocument Doc, System.Net.Http.Headers.HttpResponseHeaders Headers)> HtmxPostAsync(
        HttpClient browser, string page, string url, (string Key, string Value)[] fields)
    {
        var token = await browser.AntiforgeryTokenAsync(page);
        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new FormUrlEncodedContent(fields.Select(f => new KeyValuePair<string, string>(f.Key, f.Value))),
        };
        request.Headers.Add("RequestVerificationToken", token);
        request.Headers.Add("HX-Request", "true");
        var response = await browser.SendAsync(request);
        return (response.StatusCode, ClientExtensions.Parse(await response.Content.ReadAsStringAsync()), response.Headers);
    }
}
