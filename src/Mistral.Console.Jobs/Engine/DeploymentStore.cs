using System.Data.Common;
using System.Text.Json;
using Dapper;
using Mistral.Console.Core.Deployments;
using Mistral.Console.Core.Graph;
using Mistral.Console.Jobs.Storage;
using Npgsql;
using Microsoft.Data.Sqlite;

namespace Mistral.Console.Jobs.Engine;

/// <summary>
/// Owns the deployments and task_runs tables. Every state change is a compare-and-set
/// (UPDATE ... WHERE status = @expected): zero rows means another actor moved it first.
/// </summary>
public sealed class DeploymentStore(Database db, TimeProvider clock)
{
    private const string DeploymentColumns =
        "id, environment_id, status, requested_by, catalog_name, only_tasks, only_nodes, message, created_at, started_at, finished_at";
    private const string RunColumns =
        "id, deployment_id, task_id, node_id, node_name, attempt, status, exit_code, message, created_at, started_at, finished_at";

    /// <summary>Stores a deployment with attempt 1 of every planned vertex, in one transaction.</summary>
    /// <exception cref="DeploymentConflictException">The environment already has an active deployment.</exception>
    public async Task<long> CreateAsync(long environmentId, string requestedBy, string catalogName, string catalogYaml,
        IReadOnlyList<string>? onlyTasks, IReadOnlyList<long>? onlyNodes, IEnumerable<(TaskKey Key, string NodeName)> vertices, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        long id;
        try
        {
            id = await c.ExecuteScalarAsync<long>(new CommandDefinition(
                """
                INSERT INTO deployments (environment_id, status, requested_by, catalog_name, catalog_yaml, only_tasks, only_nodes, created_at)
                VALUES (@environmentId, 'pending', @requestedBy, @catalogName, @catalogYaml, @onlyTasks, @onlyNodes, @now)
                RETURNING id
                """,
                new
                {
                    environmentId, requestedBy, catalogName, catalogYaml,
                    onlyTasks = onlyTasks is null ? null : JsonSerializer.Serialize(onlyTasks),
                    onlyNodes = onlyNodes is null ? null : JsonSerializer.Serialize(onlyNodes),
                    now = Now(),
                }, tx, cancellationToken: ct));
        }
        catch (DbException e) when (IsUniqueViolation(e))
        {
            throw new DeploymentConflictException("Another deployment of this environment is still active; stop it or wait for it to finish.");
        }
        await InsertAttemptsAsync(c, tx, id, vertices.Select(v => (v.Key, v.NodeName, 1)), ct);
        await tx.CommitAsync(ct);
        return id;
    }

    public async Task<DeploymentInfo?> GetAsync(long id, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var row = await c.QuerySingleOrDefaultAsync<DeploymentRow>(new CommandDefinition(
            $"SELECT {DeploymentColumns} FROM deployments WHERE id = @id", new { id }, cancellationToken: ct));
        return row?.ToModel();
    }

    public async Task<string?> GetCatalogYamlAsync(long id, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteScalarAsync<string?>(new CommandDefinition("SELECT catalog_yaml FROM deployments WHERE id = @id", new { id }, cancellationToken: ct));
    }

    /// <summary>Newest first, paged by id.</summary>
    public async Task<IReadOnlyList<DeploymentInfo>> ListAsync(long environmentId, int limit, long? beforeId, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var rows = await c.QueryAsync<DeploymentRow>(new CommandDefinition(
            $"SELECT {DeploymentColumns} FROM deployments WHERE environment_id = @environmentId AND id < @beforeId ORDER BY id DESC LIMIT @limit",
            new { environmentId, beforeId = beforeId ?? long.MaxValue, limit }, cancellationToken: ct));
        return rows.Select(r => r.ToModel()).ToList();
    }

    /// <summary>Deployments the engine should be driving (for the start-up and periodic sweep).</summary>
    public async Task<IReadOnlyList<long>> ListActiveIdsAsync(CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<long>(new CommandDefinition(
            "SELECT id FROM deployments WHERE status IN ('pending', 'running', 'stopping') ORDER BY id", cancellationToken: ct))).ToList();
    }

    public async Task<bool> TryMoveAsync(long id, DeploymentStatus from, DeploymentStatus to, string? message, CancellationToken ct) =>
        await TryMoveAsync(id, [from], to, message, ct);

    /// <summary>Compare-and-set of a deployment's status; sets started/finished/stop times as the state implies.</summary>
    public async Task<bool> TryMoveAsync(long id, IReadOnlyCollection<DeploymentStatus> from, DeploymentStatus to, string? message, CancellationToken ct)
    {
        var times = to switch
        {
            DeploymentStatus.Running => ", started_at = COALESCE(started_at, @now), finished_at = NULL, stop_requested_at = NULL",
            DeploymentStatus.Pending => ", finished_at = NULL, stop_requested_at = NULL",
            DeploymentStatus.Stopping => ", stop_requested_at = @now",
            _ => ", finished_at = @now",
        };
        // The statuses are a closed enum, so inlining their names is safe; it also sidesteps the
        // dialects' different list parameters (IN (...) vs = ANY(array)).
        var fromList = string.Join(", ", from.Select(f => $"'{f.Wire()}'"));
        await using var c = await db.OpenAsync(ct);
        try
        {
            return await c.ExecuteAsync(new CommandDefinition(
                $"UPDATE deployments SET status = @to, message = @message{times} WHERE id = @id AND status IN ({fromList})",
                new { id, to = to.Wire(), message, now = Now() }, cancellationToken: ct)) == 1;
        }
        catch (DbException e) when (IsUniqueViolation(e))
        {
            throw new DeploymentConflictException("Another deployment of this environment is active; wait for it to finish first.");
        }
    }

    /// <summary>Every attempt of every vertex, oldest first.</summary>
    public async Task<IReadOnlyList<TaskRun>> ListRunsAsync(long deploymentId, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var rows = await c.QueryAsync<RunRow>(new CommandDefinition(
            $"SELECT {RunColumns} FROM task_runs WHERE deployment_id = @deploymentId ORDER BY id", new { deploymentId }, cancellationToken: ct));
        return rows.Select(r => r.ToModel()).ToList();
    }

    public async Task<TaskRun?> GetRunAsync(long runId, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var row = await c.QuerySingleOrDefaultAsync<RunRow>(new CommandDefinition(
            $"SELECT {RunColumns} FROM task_runs WHERE id = @runId", new { runId }, cancellationToken: ct));
        return row?.ToModel();
    }

    /// <summary>Compare-and-set of one attempt's status.</summary>
    public async Task<bool> TryMoveRunAsync(long runId, TaskRunStatus from, TaskRunStatus to, int? exitCode, string? message, CancellationToken ct)
    {
        if (!StatusRules.CanMove(from, to)) throw new InvalidOperationException($"A task run cannot move from {from} to {to}.");
        var times = to == TaskRunStatus.Running ? "started_at = @now" : "finished_at = @now";
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteAsync(new CommandDefinition(
            $"UPDATE task_runs SET status = @to, exit_code = @exitCode, message = @message, {times} WHERE id = @runId AND status = @from",
            new { runId, from = from.Wire(), to = to.Wire(), exitCode, message, now = Now() }, cancellationToken: ct)) == 1;
    }

    /// <summary>Adds a pending attempt after the latest one of each vertex (re-run, retry, resume, recovery).</summary>
    public async Task AddAttemptsAsync(long deploymentId, IEnumerable<TaskRun> latest, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        await InsertAttemptsAsync(c, tx, deploymentId, latest.Select(r => (r.Key, r.NodeName, r.Attempt + 1)), ct);
        await tx.CommitAsync(ct);
    }

    private async Task InsertAttemptsAsync(DbConnection c, DbTransaction tx, long deploymentId,
        IEnumerable<(TaskKey Key, string NodeName, int Attempt)> rows, CancellationToken ct)
    {
        var now = Now();
        await c.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO task_runs (deployment_id, task_id, node_id, node_name, attempt, status, created_at)
            VALUES (@deploymentId, @TaskId, @NodeId, @NodeName, @Attempt, 'pending', @now)
            """,
            rows.Select(r => new { deploymentId, r.Key.TaskId, r.Key.NodeId, r.NodeName, r.Attempt, now }).ToList(),
            tx, cancellationToken: ct));
    }

    private long Now() => Time.ToDb(clock.GetUtcNow());

    private static bool IsUniqueViolation(DbException e) =>
        e is SqliteException { SqliteErrorCode: 19 } || e is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

#pragma warning disable IDE1006
    private sealed class DeploymentRow
    {
        public long id { get; set; }
        public long environment_id { get; set; }
        public string status { get; set; } = "";
        public string requested_by { get; set; } = "";
        public string catalog_name { get; set; } = "";
        public string? only_tasks { get; set; }
        public string? only_nodes { get; set; }
        public string? message { get; set; }
        public long created_at { get; set; }
        public long? started_at { get; set; }
        public long? finished_at { get; set; }
        public DeploymentInfo ToModel() => new(id, environment_id, StatusRules.ParseDeploymentStatus(status), requested_by, catalog_name,
            only_tasks is null ? null : JsonSerializer.Deserialize<List<string>>(only_tasks),
            only_nodes is null ? null : JsonSerializer.Deserialize<List<long>>(only_nodes),
            message, Time.FromDb(created_at), Time.FromDb(started_at), Time.FromDb(finished_at));
    }

    private sealed class RunRow
    {
        public long id { get; set; }
        public long deployment_id { get; set; }
        public string task_id { get; set; } = "";
        public long node_id { get; set; }
        public string node_name { get; set; } = "";
        public long attempt { get; set; }
        public string status { get; set; } = "";
        public long? exit_code { get; set; }
        public string? message { get; set; }
        public long created_at { get; set; }
        public long? started_at { get; set; }
        public long? finished_at { get; set; }
        public TaskRun ToModel() => new(id, deployment_id, task_id, node_id, node_name, (int)attempt, StatusRules.ParseTaskStatus(status),
            exit_code is null ? null : (int)exit_code, message, Time.FromDb(created_at), Time.FromDb(started_at), Time.FromDb(finished_at));
    }
#pragma warning restore IDE1006
}
