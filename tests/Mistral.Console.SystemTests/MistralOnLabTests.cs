using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Mistral.Console.SystemTests;

/// <summary>The dashboard as a user's script drives it: everything through the JSON API.</summary>
public sealed class ConsoleApp : WebApplicationFactory<Program>
{
    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("mc-system-").FullName;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        builder.UseSetting("MistralConsole:DataDirectory", DataDirectory);
    }

    public async Task<HttpClient> AdminAsync()
    {
        _ = Services; // starts the app, which writes the initial password
        var password = (await File.ReadAllTextAsync(Path.Combine(DataDirectory, "initial-admin-password"))).Trim();
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        client.Timeout = TimeSpan.FromMinutes(5);
        var response = await client.PostAsJsonAsync("/api/auth/token", new { username = "admin", password });
        response.EnsureSuccessStatusCode();
        var token = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}

/// <summary>
/// Issue 4's end-to-end proof: a lab cloud (controllers with MariaDB, RabbitMQ, Keystone, Horizon,
/// HAProxy; a bare node for the standalone mistral role), configured and deployed through the API,
/// checked by the product's own acceptance checks; deployed again; broken and repaired by a re-run.
/// </summary>
public sealed class MistralOnLabTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly ConsoleApp _app = new();
    private HttpClient _api = null!;

    public async Task InitializeAsync()
    {
        if (Lab.Unsupported is not null) return;
        _api = await _app.AdminAsync();
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [LabFact]
    public async Task Mistral_DeploysAcceptsRedeploysAndRecovers_OnOneControllerAndOneMistralNode()
    {
        var layout = await UpAsync("small");
        var env = await ConfigureAsync(layout);

        // 1. First deployment: every task succeeds and every acceptance check passes.
        var first = await DeployAsync(env);
        await AssertSucceededAsync(first, "first deployment");
        await AssertChecksGreenAsync(await ChecksAfterAsync(env, first), "after the first deployment");
        await ReportFiguresAsync(first);

        // 2. Deploying again changes nothing and succeeds; the checks stay green.
        var second = await DeployAsync(env);
        await AssertSucceededAsync(second, "second deployment");
        await AssertChecksGreenAsync(await ChecksAfterAsync(env, second), "after the second deployment");

        // 3. mistral-engine stops behind the product's back: the health check turns red with a clear message...
        var (code, text) = await Lab.SshAsync("mis1", "systemctl stop mistral-engine");
        Assert.True(code == 0, text);
        var red = await RunChecksAsync(env);
        var engine = red.GetProperty("results").EnumerateArray().Single(r => r.GetProperty("check").GetString() == "engine-executor");
        Assert.False(engine.GetProperty("passed").GetBoolean());
        Assert.Contains("mistral-engine is inactive on mis1", engine.GetProperty("message").GetString());
        output.WriteLine($"check after stopping the engine: {engine.GetProperty("message").GetString()}");

        // ...and re-running the engine task on that node makes it green again.
        var mis1 = await NodeIdAsync(env, "mis1");
        var rerun = await _api.PostAsJsonAsync($"/api/deployments/{second}/rerun", new { scope = "task", taskId = "mistral-engine", nodes = new[] { mis1 } });
        Assert.Equal(HttpStatusCode.Accepted, rerun.StatusCode);
        await AssertSucceededAsync(second, "re-run of mistral-engine");
        await AssertChecksGreenAsync(await ChecksAfterAsync(env, second, after: red.GetProperty("id").GetInt64()), "after the re-run");
    }

    /// <summary>The HA layout: two controllers behind one VIP (HAProxy on both), two Mistral nodes.
    /// MariaDB, RabbitMQ and Keystone run on ctl1 only, as in docs/lab.md.</summary>
    [LabFact(Layout = "ha")]
    public async Task Mistral_DeploysAndPassesChecks_OnTwoControllersBehindAVipAndTwoMistralNodes()
    {
        var layout = await UpAsync("ha");
        var ctl1 = layout.Nodes.First(n => n.Name == "ctl1").Address;
        var env = await ConfigureAsync(layout, databaseHost: ctl1, rabbitHosts: [ctl1]);

        var deployment = await DeployAsync(env);
        await AssertSucceededAsync(deployment, "HA deployment");
        var checks = await ChecksAfterAsync(env, deployment);
        await AssertChecksGreenAsync(checks, "after the HA deployment");
        // Both controllers answer directly, and the VIP answers through HAProxy.
        Assert.Equal(2, checks.GetProperty("results").EnumerateArray().Count(r => r.GetProperty("check").GetString() == "api-node"));
        Assert.Equal(2, checks.GetProperty("results").EnumerateArray().Count(r => r.GetProperty("check").GetString() == "engine-executor"));
        var (code, text) = await Lab.SshAsync("ctl2", "grep -c 'server ctl' /etc/haproxy/haproxy.cfg");
        Assert.True(code == 0 && text.Trim() == "2", $"ctl2's HAProxy should balance over both controllers: {text}");
        await ReportFiguresAsync(deployment);
    }

    private async Task<LabLayout> UpAsync(string layout)
    {
        var sw = Stopwatch.StartNew();
        // One layout at a time fits the machine: take another one down first (its images stay cached).
        var current = Path.Combine(Lab.StateDirectory, "current-layout");
        if (File.Exists(current) && File.ReadAllText(current).Trim() is { Length: > 0 } other && other != layout)
            Assert.Equal(0, await Lab.RunAsync("down", ["--layout", other], l => output.WriteLine("lab: " + l), TimeSpan.FromMinutes(5)));
        var code = await Lab.RunAsync("up", ["--layout", layout], l => output.WriteLine("lab: " + l), TimeSpan.FromMinutes(40));
        Assert.True(code == 0, $"lab/up --layout {layout} failed (exit {code}); its output is above.");
        output.WriteLine($"lab/up --layout {layout}: {sw.Elapsed.TotalSeconds:0} s");
        return Lab.Read(layout);
    }

    private async Task<long> ConfigureAsync(LabLayout layout, string? databaseHost = null, string[]? rabbitHosts = null)
    {
        var created = await _api.PostAsJsonAsync("/api/environments", new { name = $"lab-{layout.Name}" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var env = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        (await _api.PutAsJsonAsync($"/api/environments/{env}/ssh-key", new { privateKey = layout.PrivateKey })).EnsureSuccessStatusCode();
        foreach (var n in layout.Nodes)
        {
            var node = await _api.PostAsJsonAsync($"/api/environments/{env}/nodes", new { name = n.Name, address = n.Address, sshPort = 22, sshUser = "root", roles = n.Roles });
            Assert.True(node.StatusCode == HttpStatusCode.Created, await node.Content.ReadAsStringAsync());
        }
        var settings = await _api.PutAsJsonAsync($"/api/environments/{env}/settings", new { enabled = true, managementVip = layout.Vip, publicVip = layout.PublicVip, databaseHost, rabbitHosts });
        Assert.True(settings.IsSuccessStatusCode, await settings.Content.ReadAsStringAsync());
        var validation = await _api.GetFromJsonAsync<JsonElement>($"/api/environments/{env}/validation");
        Assert.True(validation.GetProperty("valid").GetBoolean(), validation.ToString());
        return env;
    }

    private async Task<long> DeployAsync(long env)
    {
        var response = await _api.PostAsJsonAsync($"/api/environments/{env}/deployments", new { });
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
    }

    private async Task<JsonElement> WaitFinishedAsync(long deployment)
    {
        var deadline = DateTime.UtcNow.AddMinutes(30);
        while (true)
        {
            var d = await _api.GetFromJsonAsync<JsonElement>($"/api/deployments/{deployment}");
            var status = d.GetProperty("status").GetString();
            if (status is "succeeded" or "failed" or "stopped") return d;
            Assert.True(DateTime.UtcNow < deadline, $"deployment {deployment} still {status} after 30 minutes");
            await Task.Delay(2000);
        }
    }

    private async Task AssertSucceededAsync(long deployment, string what)
    {
        var d = await WaitFinishedAsync(deployment);
        if (d.GetProperty("status").GetString() != "succeeded")
        {
            output.WriteLine(await _api.GetStringAsync($"/api/deployments/{deployment}/log"));
            Assert.Fail($"{what}: {d.GetProperty("status").GetString()} — {d.GetProperty("message").GetString()}");
        }
        output.WriteLine($"{what}: {d.GetProperty("message").GetString()}");
    }

    /// <summary>The check run the engine starts by itself after a successful deployment.</summary>
    private async Task<JsonElement> ChecksAfterAsync(long env, long deployment, long after = 0)
    {
        var deadline = DateTime.UtcNow.AddMinutes(10);
        while (true)
        {
            var latest = await _api.GetAsync($"/api/environments/{env}/checks/latest");
            if (latest.IsSuccessStatusCode)
            {
                var run = await latest.Content.ReadFromJsonAsync<JsonElement>();
                if (run.GetProperty("deploymentId").ValueKind == JsonValueKind.Number && run.GetProperty("deploymentId").GetInt64() == deployment
                    && run.GetProperty("id").GetInt64() > after && run.GetProperty("status").GetString() != "running")
                    return run;
            }
            Assert.True(DateTime.UtcNow < deadline, "the acceptance checks did not run after the deployment");
            await Task.Delay(2000);
        }
    }

    private async Task<JsonElement> RunChecksAsync(long env)
    {
        var started = await _api.PostAsync($"/api/environments/{env}/checks", null);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var id = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        var deadline = DateTime.UtcNow.AddMinutes(10);
        while (true)
        {
            var run = await _api.GetFromJsonAsync<JsonElement>($"/api/checks/{id}");
            if (run.GetProperty("status").GetString() != "running") return run;
            Assert.True(DateTime.UtcNow < deadline, "the acceptance checks did not finish");
            await Task.Delay(1000);
        }
    }

    private Task AssertChecksGreenAsync(JsonElement run, string when)
    {
        foreach (var r in run.GetProperty("results").EnumerateArray())
            output.WriteLine($"  {(r.GetProperty("passed").GetBoolean() ? "PASS" : "FAIL")} {r.GetProperty("check").GetString(),-17} {r.GetProperty("node").GetString(),-5} {r.GetProperty("durationSeconds").GetDouble(),5:0.0} s  {r.GetProperty("message").GetString()}");
        var failed = run.GetProperty("results").EnumerateArray().Where(r => !r.GetProperty("passed").GetBoolean())
            .Select(r => $"{r.GetProperty("check").GetString()} on {r.GetProperty("node").GetString()}: {r.GetProperty("message").GetString()}\n{r.GetProperty("evidence").GetString()}").ToList();
        Assert.True(failed.Count == 0, $"acceptance checks failed {when}:\n" + string.Join("\n", failed));
        Assert.Equal("passed", run.GetProperty("status").GetString());
        return Task.CompletedTask;
    }

    private async Task<long> NodeIdAsync(long env, string name) =>
        (await _api.GetFromJsonAsync<JsonElement>($"/api/environments/{env}/nodes")).EnumerateArray()
            .Single(n => n.GetProperty("name").GetString() == name).GetProperty("id").GetInt64();

    /// <summary>Per-task durations, and the wall time against the same steps run one after another.</summary>
    private async Task ReportFiguresAsync(long deployment)
    {
        var d = await _api.GetFromJsonAsync<JsonElement>($"/api/deployments/{deployment}");
        var runs = d.GetProperty("runs").EnumerateArray().Where(r => r.GetProperty("durationSeconds").ValueKind == JsonValueKind.Number).ToList();
        var wall = (d.GetProperty("finishedAt").GetDateTimeOffset() - d.GetProperty("startedAt").GetDateTimeOffset()).TotalSeconds;
        var serial = runs.Sum(r => r.GetProperty("durationSeconds").GetDouble());
        output.WriteLine("FIGURES task durations (s):");
        foreach (var r in runs.OrderBy(r => r.GetProperty("startedAt").GetDateTimeOffset()))
            output.WriteLine($"FIGURES   {r.GetProperty("taskId").GetString(),-18} {r.GetProperty("nodeName").GetString(),-5} #{r.GetProperty("attempt").GetInt32()} {r.GetProperty("status").GetString(),-9} {r.GetProperty("durationSeconds").GetDouble(),6:0.0}");
        output.WriteLine($"FIGURES wall {wall:0.0} s; the same attempts one after another {serial:0.0} s; parallel speed-up {serial / wall:0.00}x");
    }
}
