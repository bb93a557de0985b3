using System.Security.Claims;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;
using Mistral.Console.Core.Deployments;
using Mistral.Console.Core.Validation;
using Mistral.Console.Jobs.Engine;
using Mistral.Console.Jobs.Health;
using Mistral.Console.Jobs.Logs;
using Mistral.Console.Web.Api;
using Mistral.Console.Web.Audit;
using Mistral.Console.Web.Auth;
using Mistral.Console.Web.Components.Deployments;

namespace Mistral.Console.Web.Deployments;

/// <summary>
/// The htmx side of the deployment pages: deploy, dry run, stop, resume, re-run and run checks
/// (admin, antiforgery header, audited like the API), the log page before a sequence number, and
/// the check panel. Actions answer with an alert fragment; 400 and 409 keep their status codes
/// (site.js lets elements marked data-swap-errors show them), so the form the user filled stays.
/// </summary>
public static class DeploymentFragments
{
    public const int LogPage = 500;

    public static IEndpointRouteBuilder MapDeploymentFragments(this IEndpointRouteBuilder app)
    {
        var env = app.MapGroup("/environments/{id:long}").RequireAuthorization(Policies.AdminForWrites);

        env.MapPost("/deployments/start", async (long id, HttpContext http, DeploymentCommands commands, AuditLog audit, CancellationToken ct) =>
        {
            var (tasks, nodes, problem) = await SubsetAsync(http);
            if (problem is not null) return problem;
            try
            {
                if (await commands.StartAsync(id, http.User.Identity!.Name!, tasks, nodes, ct) is not { } deploymentId) return Results.NotFound();
                await audit.WriteAsync(http.User, "deployment.start", $"deployment {deploymentId} of environment {id}", ct);
                var url = $"/deployments/{deploymentId}";
                if (!IsHtmx(http)) return Results.Redirect(url);
                http.Response.Headers["HX-Redirect"] = url;
                return Alert("success", $"Deployment #{deploymentId} started.", [], StatusCodes.Status202Accepted, url, "Follow it");
            }
            catch (ValidationFailedException e) { return Invalid("Cannot deploy:", e.Report); }
            catch (DeploymentConflictException e) { return Alert("warning", "Not started:", [e.Message], StatusCodes.Status409Conflict); }
        }).RequireAuthorization(Policies.Admin).WithAntiforgery();

        env.MapPost("/deployments/plan", async (long id, HttpContext http, DeploymentCommands commands, CancellationToken ct) =>
        {
            var (tasks, nodes, problem) = await SubsetAsync(http);
            if (problem is not null) return problem;
            try
            {
                return await commands.DryRunAsync(id, tasks, nodes, ct) is { } plan
                    ? new RazorComponentResult<DryRunPlanView>(new { Plan = plan })
                    : Results.NotFound();
            }
            catch (ValidationFailedException e) { return Invalid("Cannot plan:", e.Report); }
        }).RequireAuthorization(Policies.Admin).WithAntiforgery();

        env.MapPost("/checks/run", async (long id, HttpContext http, HealthChecks checks, CheckStore store, AuditLog audit, CancellationToken ct) =>
        {
            if (await checks.StartAsync(id, http.User.Identity!.Name!, ct) is not { } runId) return Results.NotFound();
            await audit.WriteAsync(http.User, "checks.run", $"check run {runId} of environment {id}", ct);
            if (!IsHtmx(http)) return Results.Redirect($"/environments/{id}/health");
            return await CheckPanelAsync(id, await store.GetAsync(runId, ct), store, true, ct);
        }).RequireAuthorization(Policies.Admin).WithAntiforgery();

        env.MapGet("/checks/panel", async (long id, HttpContext http, CheckStore store, CancellationToken ct) =>
            await CheckPanelAsync(id, await store.LatestAsync(id, ct), store, http.User.IsAdmin(), ct));

        var dep = app.MapGroup("/deployments/{id:long}").RequireAuthorization(Policies.AdminForWrites);

        dep.MapPost("/stop", async (long id, HttpContext http, DeploymentCommands commands, AuditLog audit, CancellationToken ct) =>
        {
            var stopped = await commands.StopAsync(id, ct);
            if (stopped is null) return Results.NotFound();
            if (stopped == false) return Alert("warning", "Not stopped:", [$"Deployment #{id} is not running."], StatusCodes.Status409Conflict);
            await audit.WriteAsync(http.User, "deployment.stop", $"deployment {id}", ct);
            return Alert("info", "Stopping:", ["no new task starts; running tasks finish or are killed after the grace period."]);
        }).RequireAuthorization(Policies.Admin).WithAntiforgery();

        dep.MapPost("/resume", async (long id, HttpContext http, DeploymentCommands commands, AuditLog audit, CancellationToken ct) =>
        {
            try
            {
                var resumed = await commands.ResumeAsync(id, ct);
                if (resumed is null) return Results.NotFound();
                if (resumed == false) return Alert("warning", "Not resumed:", [$"Deployment #{id} is not stopped."], StatusCodes.Status409Conflict);
                await audit.WriteAsync(http.User, "deployment.resume", $"deployment {id}", ct);
                var url = $"/deployments/{id}";
                // From the Deployments tab, follow the deployment; on its own page the live part updates.
                if (IsHtmx(http) && http.Request.HasFormContentType && (await http.Request.ReadFormAsync(ct))["follow"] == "1")
                    http.Response.Headers["HX-Redirect"] = url;
                return Alert("success", "Resumed.", [], StatusCodes.Status202Accepted, url, "Follow it");
            }
            catch (DeploymentConflictException e) { return Alert("warning", "Not resumed:", [e.Message], StatusCodes.Status409Conflict); }
        }).RequireAuthorization(Policies.Admin).WithAntiforgery();

        dep.MapPost("/rerun", async (long id, HttpContext http, DeploymentCommands commands, AuditLog audit, CancellationToken ct) =>
        {
            var form = await http.Request.ReadFormAsync(ct);
            var scope = form["scope"].ToString();
            var taskId = form["taskId"].ToString();
            var kind = scope switch { "failed" => RerunKind.Failed, "task" => RerunKind.Task, "from" => RerunKind.From, _ => (RerunKind?)null };
            if (kind is null) return Invalid("Cannot re-run:", new ValidationReport().Error("scope", "Choose a scope: failed, task or from."));
            if (kind != RerunKind.Failed && string.IsNullOrWhiteSpace(taskId))
                return Invalid("Cannot re-run:", new ValidationReport().Error("taskId", "Choose the task to re-run."));
            var nodes = new List<long>();
            foreach (var n in form["nodes"])
            {
                if (!long.TryParse(n, out var nodeId)) return Invalid("Cannot re-run:", new ValidationReport().Error("nodes", "Choose nodes from the list."));
                nodes.Add(nodeId);
            }
            try
            {
                var rerun = await commands.RerunAsync(id, new RerunScope(kind.Value, kind == RerunKind.Failed ? null : taskId, nodes.Count > 0 ? nodes : null), ct);
                if (rerun is null) return Results.NotFound();
                if (rerun == false) return Alert("warning", "Not re-run:", [$"Deployment #{id} cannot be re-run now."], StatusCodes.Status409Conflict);
                await audit.WriteAsync(http.User, "deployment.rerun", $"deployment {id}: {scope} {taskId} {string.Join(",", nodes)}".TrimEnd(), ct);
                return Alert("success", "Re-run started.", [kind == RerunKind.Failed ? "Every unsuccessful task runs again." : $"{taskId}{(kind == RerunKind.From ? " and what depends on it" : "")} runs again."], StatusCodes.Status202Accepted);
            }
            catch (ValidationFailedException e) { return Invalid("Cannot re-run:", e.Report); }
            catch (DeploymentConflictException e) { return Alert("warning", "Not re-run:", [e.Message], StatusCodes.Status409Conflict); }
        }).RequireAuthorization(Policies.Admin).WithAntiforgery();

        // "Load earlier": the page of lines before the first one shown, plus the button moved back.
        dep.MapGet("/log-lines", async (long id, long? before, long? node, string? task, DeploymentStore store, LogStore logs, CancellationToken ct) =>
        {
            if (await store.GetAsync(id, ct) is null) return Results.NotFound();
            var (lines, more) = await ReadPageAsync(id, before ?? long.MaxValue, node, string.IsNullOrEmpty(task) ? null : task, store, logs, ct);
            return new RazorComponentResult<LogRows>(new { Lines = lines, DeploymentId = id, More = more, Node = node, Task = task, Oob = true });
        });
        return app;
    }

    /// <summary>The <see cref="LogPage"/> lines before <paramref name="before"/>, named, and whether more exist.</summary>
    public static async Task<(IReadOnlyList<LogLine> Lines, bool More)> ReadPageAsync(long id, long before, long? node, string? task,
        DeploymentStore store, LogStore logs, CancellationToken ct)
    {
        var page = await logs.ReadBeforeAsync(id, before, LogPage + 1, node, task, ct);
        var more = page.Count > LogPage;
        var names = (await store.ListRunsAsync(id, ct)).NodeNames();
        var named = page.Skip(more ? 1 : 0).Select(l => l.Named(names)).ToList();
        return (named, more);
    }

    private static async Task<(IReadOnlyList<string>? Tasks, IReadOnlyList<long>? Nodes, IResult? Problem)> SubsetAsync(HttpContext http)
    {
        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        var tasks = form["tasks"].Where(t => !string.IsNullOrWhiteSpace(t)).Select(t => t!).ToList();
        var nodes = new List<long>();
        foreach (var n in form["nodes"])
        {
            if (!long.TryParse(n, out var nodeId))
                return (null, null, Invalid("Cannot deploy:", new ValidationReport().Error("nodes", "Choose nodes from the list.")));
            nodes.Add(nodeId);
        }
        return (tasks.Count > 0 ? tasks : null, nodes.Count > 0 ? nodes : null, null);
    }

    private static async Task<IResult> CheckPanelAsync(long id, CheckRun? run, CheckStore store, bool admin, CancellationToken ct) =>
        new RazorComponentResult<CheckRunPanel>(new
        {
            EnvironmentId = id,
            Run = run,
            Results = run is null ? [] : await store.ResultsAsync(run.Id, ct),
            IsAdmin = admin,
        });

    private static bool IsHtmx(HttpContext http) => http.Request.Headers.ContainsKey("HX-Request");

    private static IResult Invalid(string title, ValidationReport report) =>
        Alert("danger", title, report.Errors.Select(e => e.Message).ToList(), StatusCodes.Status400BadRequest);

    private static IResult Alert(string kind, string title, IReadOnlyList<string> messages, int status = StatusCodes.Status200OK, string? link = null, string? linkText = null) =>
        new RazorComponentResult<ActionAlert>(new { Kind = kind, Title = title, Messages = messages, LinkHref = link, LinkText = linkText }) { StatusCode = status };

    /// <summary>Admin actions posted by htmx: the antiforgery header is required, not only recorded.</summary>
    private static RouteHandlerBuilder WithAntiforgery(this RouteHandlerBuilder b) =>
        b.WithMetadata(new RequireAntiforgeryTokenAttribute()).AddEndpointFilter<AntiforgeryRequiredFilter>();
}
