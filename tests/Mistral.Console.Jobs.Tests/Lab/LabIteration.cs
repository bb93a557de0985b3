using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Mistral.Console.Core.Environments;
using Mistral.Console.Core.Settings;
using Mistral.Console.Jobs.Engine;
using Mistral.Console.Jobs.Health;
using Mistral.Console.Jobs.Tests.Engine;
using Xunit;
using Xunit.Abstractions;

namespace Mistral.Console.Jobs.Tests.Lab;

/// <summary>A developer's loop for the Mistral catalog: deploy the built-in catalog into a running
/// lab (lab/up) with the engine alone and print every task and check. Runs only with MC_LAB_ITERATE=1;
/// the system test (through the web API) is what CI runs.</summary>
public sealed class LabIteration(ITestOutputHelper output)
{
    [Fact]
    public async Task DeployBuiltInCatalogIntoTheLab()
    {
        if (Environment.GetEnvironmentVariable("MC_LAB_ITERATE") != "1") return;
        var layout = Environment.GetEnvironmentVariable("MC_LAB_LAYOUT") ?? "small";
        using var lab = JsonDocument.Parse(File.ReadAllText($"/var/lib/mistral-console-lab/{layout}.json"));
        var dir = Environment.GetEnvironmentVariable("MC_LAB_DATA") ?? "/tmp/mc-lab-iteration";
        Directory.CreateDirectory(dir);
        var catalog = Path.GetFullPath("../../../../../src/Mistral.Console.Jobs/Catalogs/mistral.yaml");
        await using var host = await EngineHost.StartAsync(dir, catalog);
        var envs = host.Services.GetRequiredService<IEnvironmentStore>();
        var envId = (await envs.ListAsync(default)).FirstOrDefault(e => e.Name == "lab-" + layout)?.Id;
        if (envId is null)
        {
            envId = await host.Environments.CreateAsync("lab-" + layout, default);
            await host.Environments.SetSshKeyAsync(envId.Value, File.ReadAllText(lab.RootElement.GetProperty("sshKey").GetString()!), default);
            foreach (var n in lab.RootElement.GetProperty("nodes").EnumerateArray())
                await host.Environments.AddNodeAsync(envId.Value, new NodeInput(n.GetProperty("name").GetString(), n.GetProperty("address").GetString(), 22, "root",
                    n.GetProperty("roles").EnumerateArray().Select(r => r.GetString()!).ToList(), null, null), default);
            await host.Environments.UpdateSettingsAsync(envId.Value, MistralSettings.Defaults with
            {
                Enabled = true,
                ManagementVip = lab.RootElement.GetProperty("vip").GetString(),
                PublicVip = lab.RootElement.GetProperty("publicVip").GetString(),
            }, default);
        }
        var only = Environment.GetEnvironmentVariable("MC_LAB_TASKS")?.Split(',');
        var id = (await host.Deployments.StartAsync(envId.Value, "dev", only, null, default))!.Value;
        var done = await host.WaitFinishedAsync(id, TimeSpan.FromMinutes(40));
        output.WriteLine($"deployment {id}: {done.Status} {done.Message}");
        foreach (var r in (await host.Store.ListRunsAsync(id, default)).OrderBy(r => r.StartedAt))
            output.WriteLine($"{r.TaskId,-20} {r.NodeName,-6} #{r.Attempt} {r.Status,-10} {r.Duration?.TotalSeconds,6:0.0}s {r.Message}");
        foreach (var l in await host.Logs.ReadAsync(id, 0, 100000, null, null, default))
            if (l.Stream != LogStream.Out || Environment.GetEnvironmentVariable("MC_LAB_VERBOSE") == "1")
                output.WriteLine($"  [{l.TaskId}] {l.Stream}: {l.Text}");
        var runId = await host.Services.GetRequiredService<HealthChecks>().RunAsync(envId.Value, id, "dev", default);
        foreach (var c in await host.Services.GetRequiredService<CheckStore>().ResultsAsync(runId!.Value, default))
                output.WriteLine($"CHECK {c.CheckId,-18} {c.NodeName,-6} {(c.Passed ? "PASS" : "FAIL")} {c.Duration.TotalSeconds,5:0.0}s {c.Message}\n{c.Evidence}");
    }
}
