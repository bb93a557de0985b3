using System.Security.Claims;
using System.Text;
using Mistral.Console.Core.Deployments;
using Mistral.Console.Core.Environments;
using Mistral.Console.Jobs.Engine;
using Mistral.Console.Jobs.Health;
using Mistral.Console.Jobs.Logs;
using Mistral.Console.Jobs.Ssh;
using Mistral.Console.Web.Audit;
using Mistral.Console.Web.Auth;

namespace Mistral.Console.Web.Api;

public sealed record DeployBody(IReadOnlyList<string>? Tasks, IReadOnlyList<long>? Nodes, bool? DryRun);

public sealed record RerunBody(string? Scope, string? TaskId, IReadOnlyList<long>? Nodes);

public sealed record DeploymentDto(
    long Id, long EnvironmentId, string Status, string RequestedBy, string Catalog, IReadOnlyList<string>? Tasks, IReadOnlyList<long>? Nodes,
    string? Message, DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt,
    int TotalTasks, int FinishedTasks, IReadOnlyList<TaskRunDto>? Runs)
{
    public static DeploymentDto From(DeploymentInfo d, IReadOnlyList<TaskRun> runs, bool withRuns)
    {
        var latest = runs.Latest().ToList();
        return new(d.Id, d.EnvironmentId, d.Status.Wire(), d.RequestedBy, d.CatalogName, d.OnlyTasks, d.OnlyNodes, d.Message,
            d.CreatedAt, d.StartedAt, d.FinishedAt, latest.Count, latest.Count(r => r.Status.IsFinished()),
            withRuns ? runs.OrderBy(r => r.Id).Select(TaskRunDto.From).ToList() : null);
    }
}

/// <summary>One attempt of a task on a node. <see cref="Latest"/> marks the attempt that counts.</summary>
public sealed record TaskRunDto(
    long Id, string TaskId, long NodeId, string NodeName, int Attempt, string Status, int? ExitCode, string? Message,
    DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, double? DurationSeconds)
{
    public static TaskRunDto From(TaskRun r) => new(r.Id, r.TaskId, r.NodeId, r.NodeName, r.Attempt, r.Status.Wire(), r.ExitCode, r.Message,
        r.StartedAt, r.FinishedAt, r.Duration?.TotalSeconds);
}

public sealed record CheckRunDto(long Id, long EnvironmentId, long? DeploymentId, string Status, string RequestedBy,
    DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt, IReadOnlyList<CheckResultDto> Results);

public sealed record CheckResultDto(string Check, string Title, string Node, bool Passed, string Message, string Evidence, double DurationSeconds);

/// <summary>/api for deployments, their logs, re-runs and the acceptance checks.</summary>
public static class DeploymentApi
{
    public static RouteGroupBuilder MapDeploymentApi(this RouteGroupBuilder api)
    {
        var envs = api.MapGroup("/environments/{id:long}").WithTags("Deployments");

        envs.MapPost("/deployments", async (long id, DeployBody? body, DeploymentCommands commands, AuditLog audit, ClaimsPrincipal user, CancellationToken ct) =>
        {
            if (body?.DryRun == true)
                return await commands.DryRunAsync(id, body.Tasks, body.Nodes, ct) is { } plan ? Results.Ok(plan) : EnvironmentNotFound(id);
            try
            {
                if (await commands.StartAsync(id, user.Identity!.Name!, body?.Tasks, body?.Nodes, ct) is not { } deploymentId) return EnvironmentNotFound(id);
                await audit.WriteAsync(user, "deployment.start", $"deployment {deploymentId} of environment {id}", ct);
                return Results.Accepted($"/api/deployments/{deploymentId}", new { id = deploymentId });
            }
            catch (DeploymentConflictException e)
            {
                return Conflict(e.Message);
            }
        }).RequireAuthorization(Policies.Admin);

        envs.MapGet("/deployments", async (long id, int? limit, long? before, DeploymentStore store, IEnvironmentStore environments, CancellationToken ct) =>
        {
            if (await environments.GetAsync(id, ct) is null) return EnvironmentNotFound(id);
            var list = await store.ListAsync(id, Math.Clamp(limit ?? 50, 1, 500), before, ct);
            var result = new List<DeploymentDto>(list.Count);
            foreach (var d in list) result.Add(DeploymentDto.From(d, await store.ListRunsAsync(d.Id, ct), withRuns: false));
            return Results.Ok(result);
        });

        // Host-key trust: pin a node's key now (the answer shows the fingerprint to compare with the
        // node's own `ssh-keygen -lf`), or forget it after the node was reinstalled.
        envs.MapPost("/nodes/{nodeId:long}/host-key", async (long id, long nodeId, HostKeyTrust trust, AuditLog audit, ClaimsPrincipal user, CancellationToken ct) =>
        {
            var result = await trust.PinAsync(id, nodeId, ct);
            if (!result.Found) return ApiResults.NotFound($"Node {nodeId} does not exist in environment {id}.");
            if (result.Key is null) return TypedResults.Problem(title: "Unreachable", detail: result.Error, statusCode: StatusCodes.Status502BadGateway);
            await audit.WriteAsync(user, "node.host-key.pin", $"node {nodeId} {result.Key.Fingerprint}", ct);
            return Results.Ok(new { algorithm = result.Key.Algorithm, fingerprint = result.Key.Fingerprint });
        }).RequireAuthorization(Policies.Admin);

        envs.MapDelete("/nodes/{nodeId:long}/host-key", async (long id, long nodeId, HostKeyTrust trust, AuditLog audit, ClaimsPrincipal user, CancellationToken ct) =>
        {
            if (!await trust.ForgetAsync(id, nodeId, ct)) return ApiResults.NotFound($"Node {nodeId} does not exist in environment {id}.");
            await audit.WriteAsync(user, "node.host-key.forget", $"node {nodeId}", ct);
            return Results.NoContent();
        }).RequireAuthorization(Policies.Admin);

        envs.MapPost("/checks", async (long id, HealthChecks checks, AuditLog audit, ClaimsPrincipal user, CancellationToken ct) =>
        {
            if (await checks.StartAsync(id, user.Identity!.Name!, ct) is not { } runId) return EnvironmentNotFound(id);
            await audit.WriteAsync(user, "checks.run", $"check run {runId} of environment {id}", ct);
            return Results.Accepted($"/api/checks/{runId}", new { id = runId });
        }).RequireAuthorization(Policies.Admin);

        envs.MapGet("/checks/latest", async (long id, CheckStore store, CancellationToken ct) =>
            await store.LatestAsync(id, ct) is { } run ? Results.Ok(await CheckDtoAsync(store, run, ct)) : ApiResults.NotFound($"Environment {id} has no check run yet."));

        api.MapGet("/checks/{runId:long}", async (long runId, CheckStore store, CancellationToken ct) =>
            await store.GetAsync(runId, ct) is { } run ? Results.Ok(await CheckDtoAsync(store, run, ct)) : ApiResults.NotFound($"Check run {runId} does not exist."))
            .WithTags("Deployments");

        var deployments = api.MapGroup("/deployments/{id:long}").WithTags("Deployments");

        deployments.MapGet("/", async (long id, DeploymentStore store, CancellationToken ct) =>
            await store.GetAsync(id, ct) is { } d ? Results.Ok(DeploymentDto.From(d, await store.ListRunsAsync(id, ct), withRuns: true)) : DeploymentNotFound(id));

        // The whole log (or one node's / task's) as plain text, streamed page by page.
        deployments.MapGet("/log", async (long id, long? node, string? task, HttpContext http, DeploymentStore store, LogStore logs, CancellationToken ct) =>
        {
            if (await store.GetAsync(id, ct) is null) return DeploymentNotFound(id);
            var names = (await store.ListRunsAsync(id, ct)).NodeNames();
            http.Response.ContentType = "text/plain; charset=utf-8";
            http.Response.Headers.ContentDisposition = $"inline; filename=\"deployment-{id}.log\"";
            long after = 0;
            var sb = new StringBuilder();
            while (true)
            {
                var page = await logs.ReadAsync(id, after, 5000, node, task, ct);
                if (page.Count == 0) break;
                sb.Clear();
                foreach (var l in page)
                {
                    sb.Append(l.At.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ")).Append(' ')
                      .Append(l.NodeId is { } n ? names.GetValueOrDefault(n, n.ToString()) : "-").Append(' ')
                      .Append(l.TaskId ?? "-").Append(' ')
                      .Append(l.Stream switch { LogStream.Err => "err", LogStream.Sys => "sys", _ => "out" }).Append(' ')
                      .Append(l.Text).Append('\n');
                }
                await http.Response.WriteAsync(sb.ToString(), ct);
                after = page[^1].Seq;
            }
            return Results.Empty;
        });

        deployments.MapGet("/graph.dot", async (long id, DeploymentCommands commands, CancellationToken ct) =>
            await commands.GraphAsync(id, ct) is { } g ? Results.Text(g.ToDot(), "text/vnd.graphviz") : DeploymentNotFound(id));

        deployments.MapPost("/stop", async (long id, DeploymentCommands commands, AuditLog audit, ClaimsPrincipal user, CancellationToken ct) =>
        {
            var stopped = await commands.StopAsync(id, ct);
            if (stopped is null) return DeploymentNotFound(id);
            if (stopped == false) return Conflict($"Deployment {id} is not running.");
            await audit.WriteAsync(user, "deployment.stop", $"deployment {id}", ct);
            return Results.Accepted($"/api/deployments/{id}", new { id });
        }).RequireAuthorization(Policies.Admin);

        deployments.MapPost("/resume", async (long id, DeploymentCommands commands, AuditLog audit, ClaimsPrincipal user, CancellationToken ct) =>
        {
            try
            {
                var resumed = await commands.ResumeAsync(id, ct);
                if (resumed is null) return DeploymentNotFound(id);
                if (resumed == false) return Conflict($"Deployment {id} is not stopped.");
                await audit.WriteAsync(user, "deployment.resume", $"deployment {id}", ct);
                return Results.Accepted($"/api/deployments/{id}", new { id });
            }
            catch (DeploymentConflictException e)
            {
                return Conflict(e.Message);
            }
        }).RequireAuthorization(Policies.Admin);

        deployments.MapPost("/rerun", async (long id, RerunBody body, DeploymentCommands commands, AuditLog audit, ClaimsPrincipal user, CancellationToken ct) =>
        {
            RerunKind kind;
            switch (body.Scope)
            {
                case "failed": kind = RerunKind.Failed; break;
                case "task": kind = RerunKind.Task; break;
                case "from": kind = RerunKind.From; break;
                default: return ApiResults.Invalid("scope", "Choose a scope: failed, task or from.");
            }
            if (kind != RerunKind.Failed && string.IsNullOrWhiteSpace(body.TaskId))
                return ApiResults.Invalid("taskId", "Choose the task to re-run.");
            try
            {
                var rerun = await commands.RerunAsync(id, new RerunScope(kind, body.TaskId, body.Nodes), ct);
                if (rerun is null) return DeploymentNotFound(id);
                if (rerun == false) return Conflict($"Deployment {id} cannot be re-run now.");
                await audit.WriteAsync(user, "deployment.rerun", $"deployment {id}: {body.Scope} {body.TaskId} {string.Join(",", body.Nodes ?? [])}".TrimEnd(), ct);
                return Results.Accepted($"/api/deployments/{id}", new { id });
            }
            catch (DeploymentConflictException e)
            {
                return Conflict(e.Message);
            }
        }).RequireAuthorization(Policies.Admin);

        return api;
    }

    private static async Task<CheckRunDto> CheckDtoAsync(CheckStore store, CheckRun run, CancellationToken ct) =>
        new(run.Id, run.EnvironmentId, run.DeploymentId, run.Status.ToString().ToLowerInvariant(), run.RequestedBy, run.CreatedAt, run.FinishedAt,
            (await store.ResultsAsync(run.Id, ct)).Select(r => new CheckResultDto(r.CheckId, r.Title, r.NodeName, r.Passed, r.Message, r.Evidence, r.Duration.TotalSeconds)).ToList());

    private static IResult Conflict(string detail) =>
        TypedResults.Problem(title: "Conflict", detail: detail, statusCode: StatusCodes.Status409Conflict);

    private static IResult EnvironmentNotFound(long id) => ApiResults.NotFound($"Environment {id} does not exist.");
    private static IResult DeploymentNotFound(long id) => ApiResults.NotFound($"Deployment {id} does not exist.");
}
