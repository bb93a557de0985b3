using System.Text;
using Microsoft.Extensions.Logging;
using Mistral.Console.Core.Catalog;
using Mistral.Console.Core.Environments;
using Mistral.Console.Core.Execution;
using Mistral.Console.Jobs.Engine;

namespace Mistral.Console.Jobs.Health;

/// <summary>
/// Runs the acceptance checks (Catalogs/mistral-checks.yaml) against an environment, all at once,
/// each on every node with one of its roles, and stores the results with their evidence.
/// </summary>
public sealed class HealthChecks(
    IEnvironmentStore environments,
    ICommandRunner commands,
    CheckStore store,
    TimeProvider clock,
    ILogger<HealthChecks> logger)
{
    public const int MaxEvidence = 4096;
    private static readonly Lazy<TaskCatalog> Checks = new(() =>
    {
        using var s = typeof(HealthChecks).Assembly.GetManifestResourceStream("Mistral.Console.Jobs.Catalogs.mistral-checks.yaml")!;
        return CatalogLoader.Parse(new StreamReader(s).ReadToEnd(), "mistral-checks.yaml");
    });

    public static TaskCatalog Catalog => Checks.Value;

    public Task<IReadOnlyList<CheckResult>> ResultsAsync(long runId, CancellationToken ct) => store.ResultsAsync(runId, ct);

    /// <summary>Starts a check run in the background (for the API and the Health tab).</summary>
    /// <returns>The check run id, or null when the environment does not exist.</returns>
    public async Task<long?> StartAsync(long environmentId, string requestedBy, CancellationToken ct)
    {
        if (await environments.GetAsync(environmentId, ct) is null) return null;
        var runId = await store.StartAsync(environmentId, null, requestedBy, ct);
        _ = Task.Run(async () =>
        {
            try
            {
                await ExecuteAsync(runId, environmentId, CancellationToken.None);
            }
            catch (Exception e)
            {
                logger.LogError(e, "Check run {RunId} failed", runId);
                await store.FinishAsync(runId, [new CheckResult("checks", "Acceptance checks", "-", false, "The checks could not run: " + e.Message, "", TimeSpan.Zero)], CancellationToken.None);
            }
        });
        return runId;
    }

    /// <summary>Runs the checks and waits for them (after a deployment).</summary>
    /// <returns>The check run id, or null when the environment does not exist.</returns>
    public async Task<long?> RunAsync(long environmentId, long? deploymentId, string requestedBy, CancellationToken ct)
    {
        if (await environments.GetAsync(environmentId, ct) is null) return null;
        var runId = await store.StartAsync(environmentId, deploymentId, requestedBy, ct);
        await ExecuteAsync(runId, environmentId, ct);
        return runId;
    }

    private async Task ExecuteAsync(long runId, long environmentId, CancellationToken ct)
    {
        var snapshot = await EnvironmentSnapshot.LoadAsync(environments, environmentId, ct)
            ?? throw new InvalidOperationException($"Environment {environmentId} no longer exists.");

        var work = Catalog.Tasks
            .SelectMany(check => snapshot.Nodes.Where(n => check.Roles.Any(n.Has)).OrderBy(n => n.Id).Select(n => (check, n)))
            .Select(x => RunOneAsync(snapshot, x.check, x.n, ct));
        var results = await Task.WhenAll(work);
        await store.FinishAsync(runId, results, ct);
        logger.LogInformation("Checks of environment {EnvironmentId}: {Passed}/{Total} passed", environmentId, results.Count(r => r.Passed), results.Length);
    }

    private async Task<CheckResult> RunOneAsync(EnvironmentSnapshot snapshot, TaskDefinition check, Node node, CancellationToken ct)
    {
        var started = clock.GetTimestamp();
        var masker = snapshot.Masker;
        if (snapshot.Keys.GetValueOrDefault(node.Id) is null)
            return new CheckResult(check.Id, check.Description, node.Name, false, $"Node '{node.Name}' has no SSH key.", "", TimeSpan.Zero);
        if (node.HostKey is null)
            return new CheckResult(check.Id, check.Description, node.Name, false, $"Node '{node.Name}' has no pinned host key yet: deploy first.", "", TimeSpan.Zero);
        var output = new StringBuilder();
        string? lastLine = null, lastFail = null;
        var script = ScriptRenderer.Render(Catalog, check, ScriptRenderer.Variables(snapshot.Environment, snapshot.Nodes, snapshot.Settings, node, 0));
        var result = await commands.RunAsync(snapshot.Target(node, node.HostKey)!, script, line =>
        {
            var text = masker.Apply(line.Text);
            lock (output)
            {
                if (output.Length < MaxEvidence) output.Append(line.Stream == OutputStream.Stderr ? "! " : "").AppendLine(text);
                if (!string.IsNullOrWhiteSpace(text) && line.Stream == OutputStream.Stdout) lastLine = text;
                if (text.StartsWith("FAIL:", StringComparison.Ordinal)) lastFail = text;
            }
        }, check.Timeout, ct);
        var duration = clock.GetElapsedTime(started);
        var evidence = output.Length > MaxEvidence ? output.ToString(0, MaxEvidence) + "…" : output.ToString();
        return result.Outcome switch
        {
            CommandOutcome.Exited when result.ExitCode == 0 => new CheckResult(check.Id, check.Description, node.Name, true, lastLine ?? "passed", evidence, duration),
            CommandOutcome.Exited => new CheckResult(check.Id, check.Description, node.Name, false,
                (lastFail ?? lastLine ?? $"exited with status {result.ExitCode}").Replace("FAIL: ", ""), evidence, duration),
            _ => new CheckResult(check.Id, check.Description, node.Name, false, result.Error ?? result.Outcome.ToString(), evidence, duration),
        };
    }
}
