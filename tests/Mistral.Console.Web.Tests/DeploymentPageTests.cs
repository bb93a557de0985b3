using System.Net;
using AngleSharp.Dom;
using Microsoft.Extensions.DependencyInjection;
using Mistral.Console.Web.Deployments;

namespace Mistral.Console.Web.Tests;

/// <summary>The Deployments and Health tabs and the deployment page, on a seeded failed deployment
/// (no SSH needed): what admins and support see, progress values, SVG pictures, the log pages.</summary>
public sealed class DeploymentPageTests(SeededConsole seeded) : IClassFixture<SeededConsole>
{
    private string Page => $"/deployments/{seeded.DeploymentId}";

    [Fact]
    public async Task DeploymentsTab_ShowsHistory_AndTheDeployPanelWithChecklist_ForAdmins()
    {
        using var admin = await seeded.App.SignInAsAdminAsync();
        var doc = await admin.GetDocumentAsync($"/environments/{seeded.EnvironmentId}/deployments");
        Assert.NotNull(doc.QuerySelector("a[data-tab=deployments].active"));
        var row = doc.QuerySelector($"[data-testid=deployments] tr[data-deployment='{seeded.DeploymentId}']")!;
        Assert.Equal("failed", row.GetAttribute("data-status"));
        Assert.NotNull(row.QuerySelector($"a[href='/deployments/{seeded.DeploymentId}']"));
        Assert.Contains("admin", row.TextContent);
        Assert.Contains("1 task failed", row.TextContent);
        Assert.Equal("5", row.QuerySelector("[role=progressbar]")!.GetAttribute("aria-valuenow")); // skipped counts as finished
        Assert.Equal("5", row.QuerySelector("[role=progressbar]")!.GetAttribute("aria-valuemax"));

        var panel = doc.QuerySelector("[data-testid=deploy-panel]")!;
        Assert.NotNull(panel.QuerySelector("#validation-panel"));
        Assert.NotNull(panel.QuerySelector($"[hx-post='/environments/{seeded.EnvironmentId}/deployments/plan']"));
        Assert.NotNull(panel.QuerySelector($"[hx-post='/environments/{seeded.EnvironmentId}/deployments/start'][hx-confirm]"));
        Assert.Equal(2, panel.QuerySelectorAll("input[name=nodes]").Length);
        Assert.NotEmpty(panel.QuerySelectorAll("select[name=tasks] option"));
    }

    [Fact]
    public async Task DeploymentPage_ShowsTaskTable_Progress_Timeline_Graph_AndTheLogTail()
    {
        using var admin = await seeded.App.SignInAsAdminAsync();
        var doc = await admin.GetDocumentAsync(Page);
        Assert.Contains("seeded", doc.QuerySelector(".breadcrumb")!.TextContent);
        Assert.NotNull(doc.QuerySelector($".breadcrumb a[href='/environments/{seeded.EnvironmentId}/deployments']"));
        Assert.Equal("failed", doc.QuerySelector("[data-testid=deployment-status]")!.TextContent.Trim());

        var rows = doc.QuerySelectorAll("[data-testid=task-table] tbody tr");
        Assert.Equal(5, rows.Length);
        var configure = rows.Single(r => r.GetAttribute("data-task") == "configure" && r.GetAttribute("data-node") == "mistral-1");
        Assert.Equal("failed", configure.GetAttribute("data-status"));
        Assert.Contains("Exited with status 4.", configure.TextContent);
        Assert.NotNull(configure.QuerySelector("details.attempts li[data-attempt='1']"));
        Assert.Equal("skipped", rows.Single(r => r.GetAttribute("data-task") == "register").GetAttribute("data-status"));
        // Dependencies first: prepare before configure before register.
        Assert.Equal(["prepare", "prepare", "configure", "configure", "register"], rows.Select(r => r.GetAttribute("data-task")!).ToArray());

        var overall = doc.QuerySelector("[data-testid=progress-overall]")!;
        Assert.Equal(("5", "5", "failed"), (overall.GetAttribute("aria-valuenow"), overall.GetAttribute("aria-valuemax"), overall.GetAttribute("data-outcome")));
        var perNode = doc.QuerySelectorAll("[data-testid=progress-node]");
        Assert.Equal(2, perNode.Length);
        Assert.Equal("3", perNode.Single(p => p.GetAttribute("aria-label") == "ctl-1").GetAttribute("aria-valuenow"));
        Assert.NotNull(overall.QuerySelector("rect.seg-failed"));

        var timeline = doc.QuerySelector("svg[data-testid=timeline]")!;
        Assert.Equal(5, timeline.QuerySelectorAll("rect.bar").Length); // four finished attempts + the retry; skipped never started
        Assert.Equal(2, timeline.QuerySelectorAll("g.lane").Length);
        var graph = doc.QuerySelector("svg[data-testid=graph]")!;
        Assert.Equal(5, graph.QuerySelectorAll("g.vertex").Length);
        Assert.NotNull(graph.QuerySelector("g.vertex.st-failed[data-task=configure][data-node=mistral-1]"));
        Assert.NotEmpty(graph.QuerySelectorAll("path.edge"));

        var log = doc.QuerySelector("#log-lines")!;
        Assert.Equal(DeploymentFragments.LogPage, log.QuerySelectorAll(".ll").Length);
        Assert.Equal(SeededConsole.SeededLogLines.ToString(), log.QuerySelectorAll(".ll").Last().GetAttribute("data-seq"));
        Assert.NotEmpty(log.QuerySelectorAll(".ll-err"));
        Assert.Contains("&lt;b&gt;not bold&lt;/b&gt;", log.InnerHtml);
        Assert.NotNull(log.QuerySelector(".ll i")); // node names resolved for stored lines
        Assert.Equal($"/deployments/{seeded.DeploymentId}/live?after={SeededConsole.SeededLogLines}",
            doc.QuerySelector("[hx-ext=sse]")!.GetAttribute("sse-connect"));
        Assert.Contains("before=" + (SeededConsole.SeededLogLines - DeploymentFragments.LogPage + 1), doc.QuerySelector("#log-earlier")!.GetAttribute("hx-get"));

        // Admin actions: per-row re-run, re-run all failed, the chosen-nodes form.
        Assert.Equal(5, doc.QuerySelectorAll("[data-action=rerun-task]").Length);
        Assert.NotNull(doc.QuerySelector("[data-action=rerun-failed]"));
        Assert.NotNull(doc.QuerySelector("[data-testid=rerun-form]"));
        Assert.Null(doc.QuerySelector("[data-action=stop]"));
    }

    [Fact]
    public async Task LogPages_LoadEarlier_AndFilterByNodeAndTask()
    {
        using var admin = await seeded.App.SignInAsAdminAsync();
        var html = await admin.GetStringAsync($"/deployments/{seeded.DeploymentId}/log-lines?before=701");
        var doc = ClientExtensions.Parse("<div id=root>" + html + "</div>");
        var lines = doc.QuerySelectorAll(".ll");
        Assert.Equal(DeploymentFragments.LogPage, lines.Length);
        Assert.Equal(("201", "700"), (lines.First().GetAttribute("data-seq"), lines.Last().GetAttribute("data-seq")));
        Assert.Contains("before=201", doc.QuerySelector("#log-earlier[hx-swap-oob]")!.GetAttribute("hx-get"));
        var start = ClientExtensions.Parse(await admin.GetStringAsync($"/deployments/{seeded.DeploymentId}/log-lines?before=201"));
        Assert.Equal(200, start.QuerySelectorAll(".ll").Length);
        Assert.Contains("Start of the log", start.QuerySelector("#log-earlier")!.TextContent);

        var filtered = await admin.GetDocumentAsync($"{Page}?node={seeded.MistralNodeId}&task=configure");
        var shown = filtered.QuerySelectorAll("#log-lines .ll");
        Assert.NotEmpty(shown);
        Assert.All(shown, l => Assert.Equal(("configure", seeded.MistralNodeId.ToString()), (l.GetAttribute("data-task"), l.GetAttribute("data-node"))));
        Assert.Equal("configure", filtered.QuerySelector("#log-lines")!.GetAttribute("data-filter-task"));
    }

    [Fact]
    public async Task HealthTab_ShowsTheLatestCheckRun_WithEvidence()
    {
        using var admin = await seeded.App.SignInAsAdminAsync();
        var doc = await admin.GetDocumentAsync($"/environments/{seeded.EnvironmentId}/health");
        Assert.NotNull(doc.QuerySelector("a[data-tab=health].active"));
        var panel = doc.QuerySelector("#check-panel")!;
        Assert.Equal("failed", panel.GetAttribute("data-status"));
        Assert.Null(panel.GetAttribute("hx-trigger")); // finished: no polling
        Assert.NotNull(panel.QuerySelector($"a[href='/deployments/{seeded.DeploymentId}']"));
        var rows = panel.QuerySelectorAll("[data-testid=check-results] tbody tr");
        Assert.Equal(2, rows.Length);
        Assert.Contains("PASS", rows[0].TextContent);
        Assert.Contains("FAIL", rows[1].TextContent);
        Assert.Contains("systemctl is-active", rows[1].QuerySelector("details pre")!.TextContent);
        Assert.NotNull(doc.QuerySelector($"[hx-post='/environments/{seeded.EnvironmentId}/checks/run']"));
    }

    [Fact]
    public async Task Support_SeesEverything_ButNothingThatPosts()
    {
        using var support = await seeded.App.SignInAsync("support1", SeededConsole.SupportPassword);
        foreach (var url in new[] { $"/environments/{seeded.EnvironmentId}/deployments", Page, $"/environments/{seeded.EnvironmentId}/health" })
        {
            var doc = await support.GetDocumentAsync(url);
            Assert.Empty(doc.QuerySelectorAll("[hx-post], [hx-put], [hx-delete], form[method=post]:not([action='/signout'])"));
            Assert.Empty(doc.QuerySelectorAll("[data-action=rerun-task], [data-action=deploy], [data-action=run-checks]"));
        }
        var page = await support.GetDocumentAsync(Page);
        Assert.Equal(5, page.QuerySelectorAll("[data-testid=task-table] tbody tr").Length);
        Assert.NotNull(page.QuerySelector("svg[data-testid=graph]"));
        Assert.NotEmpty(page.QuerySelectorAll("#log-lines .ll"));
    }

    [Fact]
    public async Task StateRenderer_RendersOneFragmentPerRole()
    {
        var renderer = seeded.App.Services.GetRequiredService<DeploymentStateRenderer>();
        var admin = ClientExtensions.Parse(await renderer.RenderAsync(seeded.DeploymentId, admin: true, default));
        var readOnly = ClientExtensions.Parse(await renderer.RenderAsync(seeded.DeploymentId, admin: false, default));
        Assert.NotEmpty(admin.QuerySelectorAll("[hx-post]"));
        Assert.Empty(readOnly.QuerySelectorAll("[hx-post]"));
        Assert.Equal(5, readOnly.QuerySelectorAll("[data-testid=task-table] tbody tr").Length);
    }

    [Fact]
    public async Task LiveStream_StartsWithTheStateFragment_WithoutButtonsForSupport()
    {
        using var support = await seeded.App.SignInAsync("support1", SeededConsole.SupportPassword);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/deployments/{seeded.DeploymentId}/live?after={SeededConsole.SeededLogLines - 3}");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var response = await support.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));
        var events = new List<(string Event, string Data)>();
        string? name = null;
        var data = new System.Text.StringBuilder();
        while (events.Count < 2 && await reader.ReadLineAsync(cts.Token) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal)) name = line[7..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal)) data.Append(line[6..]);
            else if (line.Length == 0 && name is not null) { events.Add((name, data.ToString())); name = null; data.Clear(); }
        }
        Assert.Equal("log", events[0].Event);
        Assert.Equal(3, ClientExtensions.Parse(events[0].Data).QuerySelectorAll(".ll[data-node][data-task]").Length);
        Assert.Equal("state", events[1].Event);
        var state = ClientExtensions.Parse(events[1].Data);
        Assert.NotNull(state.QuerySelector("[data-testid=task-table]"));
        Assert.Empty(state.QuerySelectorAll("[hx-post]"));
    }

    [Fact]
    public async Task PageActions_RequireTheAntiforgeryToken_AndValidateTheScope()
    {
        using var admin = await seeded.App.SignInAsAdminAsync();
        var url = $"/deployments/{seeded.DeploymentId}/rerun";
        var noToken = await admin.PostAsync(url, new FormUrlEncodedContent(new Dictionary<string, string> { ["scope"] = "failed" }));
        Assert.Equal(HttpStatusCode.BadRequest, noToken.StatusCode);
        Assert.DoesNotContain("Re-run started", await noToken.Content.ReadAsStringAsync());

        var token = await admin.AntiforgeryTokenAsync(Page);
        async Task<(HttpStatusCode, IDocument)> PostAsync(Dictionary<string, string> form)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(form) };
            request.Headers.Add("RequestVerificationToken", token);
            request.Headers.Add("HX-Request", "true");
            var response = await admin.SendAsync(request);
            return (response.StatusCode, ClientExtensions.Parse(await response.Content.ReadAsStringAsync()));
        }
        var (status, doc) = await PostAsync(new() { ["scope"] = "everything" });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("Choose a scope", doc.QuerySelector("[data-testid=action-alert]")!.TextContent);
        (status, doc) = await PostAsync(new() { ["scope"] = "task" });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("Choose the task", doc.QuerySelector("[data-testid=action-alert]")!.TextContent);
        (status, doc) = await PostAsync(new() { ["scope"] = "task", ["taskId"] = "no-such-task" });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("no-such-task", doc.QuerySelector("[data-testid=action-alert]")!.TextContent);
        (status, doc) = await PostAsync(new() { ["scope"] = "task", ["taskId"] = "register", ["nodes"] = seeded.MistralNodeId.ToString() });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("does not run on node", doc.QuerySelector("[data-testid=action-alert]")!.TextContent);
        // Nothing was re-run: still one attempt of register, still failed.
        var page = await admin.GetDocumentAsync(Page);
        Assert.Equal("failed", page.QuerySelector("[data-testid=deployment-status]")!.TextContent.Trim());
    }
}
