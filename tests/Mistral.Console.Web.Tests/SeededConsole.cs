using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Mistral.Console.Core.Deployments;
using Mistral.Console.Core.Graph;
using Mistral.Console.Jobs.Engine;
using Mistral.Console.Jobs.Health;
using Mistral.Console.Jobs.Logs;
using Mistral.Console.Tests.Shared;

namespace Mistral.Console.Web.Tests;

/// <summary>The app with real rows to aim at: an environment with two nodes and the plugin
/// enabled (so generated passwords exist), a support user and a spare user, a finished (failed)
/// deployment with a re-run attempt and log lines, and a finished check run.</summary>
public sealed class SeededConsole : IAsyncLifetime
{
    public const string SupportPassword = "support-password-1";
    public const string SparePassword = "spare-password-123";

    public ConsoleFactory App { get; } = new();
    public long EnvironmentId { get; private set; }
    public long NodeId { get; private set; }
    public long SpareUserId { get; private set; }
    public long MistralNodeId { get; private set; }
    public long DeploymentId { get; private set; }
    public long CheckRunId { get; private set; }
    public const int SeededLogLines = 1200;

    /// <summary>The seeded deployment's catalog: prepare on every node, then configure, then register on the primary controller.</summary>
    public const string Catalog = """
        tasks:
          - id: prepare
            roles: [controller, mistral]
            script: echo prepare
          - id: configure
            roles: [controller, mistral]
            requires: [prepare]
            script: echo configure
          - id: register
            roles: [primary-controller]
            requires: [configure]
            script: echo register
        """;
    public string NodeKey { get; } = TestKeys.Ed25519;

    public async Task InitializeAsync()
    {
        using var admin = await App.AdminApiAsync();
        EnvironmentId = await IdOf(await admin.PostAsJsonAsync("/api/environments", new { name = "seeded" }));
        NodeId = await IdOf(await admin.PostAsJsonAsync($"/api/environments/{EnvironmentId}/nodes",
            new { name = "ctl-1", address = "10.0.0.11", roles = new[] { "controller", "mistral" }, privateKey = NodeKey }));
        MistralNodeId = await IdOf(await admin.PostAsJsonAsync($"/api/environments/{EnvironmentId}/nodes",
            new { name = "mistral-1", address = "10.0.0.21", roles = new[] { "mistral" } }));
        var enable = await admin.PutAsJsonAsync($"/api/environments/{EnvironmentId}/settings", new { enabled = true });
        Assert.Equal(HttpStatusCode.OK, enable.StatusCode);
        await App.CreateUserAsync("support1", "support", SupportPassword);
        SpareUserId = await IdOf(await admin.PostAsJsonAsync("/api/users", new { username = "spare", role = "support", password = SparePassword }));
        await SeedDeploymentAsync();
        await SeedCheckRunAsync();
    }

    /// <summary>
    /// A deployment written through the engine's store as the runner would (no SSH): prepare
    /// succeeded on both nodes, configure failed on mistral-1 after a retry (attempt 2), register
    /// skipped; the deployment failed. Finished before the sweep could pick it up as active.
    /// </summary>
    private async Task SeedDeploymentAsync()
    {
        var store = App.Services.GetRequiredService<DeploymentStore>();
        var logs = App.Services.GetRequiredService<LogStore>();
        (string Task, long Node, string Name)[] vertices =
        [
            ("prepare", NodeId, "ctl-1"), ("prepare", MistralNodeId, "mistral-1"),
            ("configure", NodeId, "ctl-1"), ("configure", MistralNodeId, "mistral-1"),
            ("register", NodeId, "ctl-1"),
        ];
        DeploymentId = await store.CreateAsync(EnvironmentId, "admin", "seeded.yaml", Catalog, null, null,
            vertices.Select(v => (new TaskKey(v.Task, v.Node), v.Name)), default);
        Assert.True(await store.TryMoveAsync(DeploymentId, DeploymentStatus.Pending, DeploymentStatus.Running, null, default));
        async Task FinishAsync(string task, long node, TaskRunStatus to, int? exit, string? message)
        {
            var run = (await store.ListRunsAsync(DeploymentId, default)).Where(r => r.TaskId == task && r.NodeId == node).MaxBy(r => r.Attempt)!;
            if (to == TaskRunStatus.Skipped)
            {
                Assert.True(await store.TryMoveRunAsync(run.Id, TaskRunStatus.Pending, to, null, message, default));
                return;
            }
            Assert.True(await store.TryMoveRunAsync(run.Id, TaskRunStatus.Pending, TaskRunStatus.Running, null, null, default));
            App.Clock.Advance(TimeSpan.FromSeconds(3));
            Assert.True(await store.TryMoveRunAsync(run.Id, TaskRunStatus.Running, to, exit, message, default));
        }
        await FinishAsync("prepare", NodeId, TaskRunStatus.Succeeded, 0, null);
        await FinishAsync("prepare", MistralNodeId, TaskRunStatus.Succeeded, 0, null);
        await FinishAsync("configure", NodeId, TaskRunStatus.Succeeded, 0, null);
        await FinishAsync("configure", MistralNodeId, TaskRunStatus.Failed, 3, "Exited with status 3.");
        var failed = (await store.ListRunsAsync(DeploymentId, default)).Single(r => r.TaskId == "configure" && r.NodeId == MistralNodeId);
        await store.AddAttemptsAsync(DeploymentId, [failed], default);
        await FinishAsync("configure", MistralNodeId, TaskRunStatus.Failed, 4, "Exited with status 4.");
        await FinishAsync("register", NodeId, TaskRunStatus.Skipped, null, "configure did not succeed.");
        Assert.True(await store.TryMoveAsync(DeploymentId, DeploymentStatus.Running, DeploymentStatus.Failed, "1 task failed, 1 skipped.", default));

        var runs = await store.ListRunsAsync(DeploymentId, default);
        var at = App.Clock.GetUtcNow();
        var lines = Enumerable.Range(1, SeededLogLines).Select(i =>
        {
            var run = runs[i % 4];
            var stream = i % 50 == 0 ? LogStream.Err : i % 97 == 0 ? LogStream.Sys : LogStream.Out;
            return new LogLine(i, at, run.Id, run.NodeId, run.TaskId, stream, $"line {i} of {run.TaskId} <b>not bold</b>");
        }).ToList();
        await logs.AppendAsync(DeploymentId, lines, default);
    }

    private async Task SeedCheckRunAsync()
    {
        var checks = App.Services.GetRequiredService<CheckStore>();
        CheckRunId = await checks.StartAsync(EnvironmentId, DeploymentId, "admin", default);
        await checks.FinishAsync(CheckRunId,
        [
            new CheckResult("api", "mistral-api answers", "ctl-1", true, "HTTP 200 in 12 ms", "GET http://10.0.0.11:8989/v2 -> 200", TimeSpan.FromMilliseconds(12)),
            new CheckResult("engine", "mistral-engine is active", "mistral-1", false, "mistral-engine is inactive", "systemctl is-active mistral-engine: inactive", TimeSpan.FromMilliseconds(340)),
        ], default);
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
