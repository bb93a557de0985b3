using Dapper;
using Mistral.Console.Jobs.Storage;

namespace Mistral.Console.Jobs.Health;

public enum CheckRunStatus { Running, Passed, Failed }

public sealed record CheckRun(long Id, long EnvironmentId, long? DeploymentId, string RequestedBy, CheckRunStatus Status,
    DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt);

public sealed record CheckResult(string CheckId, string Title, string NodeName, bool Passed, string Message, string Evidence, TimeSpan Duration);

/// <summary>Owns check_runs and check_results.</summary>
public sealed class CheckStore(Database db, TimeProvider clock)
{
    private const string RunColumns = "id, environment_id, deployment_id, requested_by, status, created_at, finished_at";

    public async Task<long> StartAsync(long environmentId, long? deploymentId, string requestedBy, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteScalarAsync<long>(new CommandDefinition(
            """
            INSERT INTO check_runs (environment_id, deployment_id, requested_by, status, created_at)
            VALUES (@environmentId, @deploymentId, @requestedBy, 'running', @now) RETURNING id
            """, new { environmentId, deploymentId, requestedBy, now = Time.ToDb(clock.GetUtcNow()) }, cancellationToken: ct));
    }

    public async Task FinishAsync(long runId, IReadOnlyList<CheckResult> results, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        await c.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO check_results (check_run_id, check_id, title, node_name, passed, message, evidence, duration_ms)
            VALUES (@runId, @CheckId, @Title, @NodeName, @passed, @Message, @Evidence, @ms)
            """,
            results.Select(r => new { runId, r.CheckId, r.Title, r.NodeName, passed = r.Passed ? 1 : 0, r.Message, r.Evidence, ms = (long)r.Duration.TotalMilliseconds }).ToList(),
            tx, cancellationToken: ct));
        await c.ExecuteAsync(new CommandDefinition(
            "UPDATE check_runs SET status = @status, finished_at = @now WHERE id = @runId AND status = 'running'",
            new { runId, status = results.All(r => r.Passed) ? "passed" : "failed", now = Time.ToDb(clock.GetUtcNow()) }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
    }

    public async Task<CheckRun?> GetAsync(long runId, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QuerySingleOrDefaultAsync<RunRow>(new CommandDefinition(
            $"SELECT {RunColumns} FROM check_runs WHERE id = @runId", new { runId }, cancellationToken: ct)))?.ToModel();
    }

    public async Task<CheckRun?> LatestAsync(long environmentId, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QuerySingleOrDefaultAsync<RunRow>(new CommandDefinition(
            $"SELECT {RunColumns} FROM check_runs WHERE environment_id = @environmentId ORDER BY id DESC LIMIT 1",
            new { environmentId }, cancellationToken: ct)))?.ToModel();
    }

    public async Task<IReadOnlyList<CheckResult>> ResultsAsync(long runId, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var rows = await c.QueryAsync<ResultRow>(new CommandDefinition(
            "SELECT check_id, title, node_name, passed, message, evidence, duration_ms FROM check_results WHERE check_run_id = @runId ORDER BY id",
            new { runId }, cancellationToken: ct));
        return rows.Select(r => new CheckResult(r.check_id, r.title, r.node_name, r.passed, r.message, r.evidence, TimeSpan.FromMilliseconds(r.duration_ms))).ToList();
    }

#pragma warning disable IDE1006
    private sealed class RunRow
    {
        public long id { get; set; }
        public long environment_id { get; set; }
        public long? deployment_id { get; set; }
        public string requested_by { get; set; } = "";
        public string status { get; set; } = "";
        public long created_at { get; set; }
        public long? finished_at { get; set; }
        public CheckRun ToModel() => new(id, environment_id, deployment_id, requested_by, Enum.Parse<CheckRunStatus>(status, true),
            Time.FromDb(created_at), Time.FromDb(finished_at));
    }

    private sealed class ResultRow
    {
        public string check_id { get; set; } = "";
        public string title { get; set; } = "";
        public string node_name { get; set; } = "";
        public bool passed { get; set; }
        public string message { get; set; } = "";
        public string evidence { get; set; } = "";
        public long duration_ms { get; set; }
    }
#pragma warning restore IDE1006
}
