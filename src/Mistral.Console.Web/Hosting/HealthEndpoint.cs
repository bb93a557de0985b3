using Dapper;
using Mistral.Console.Jobs.Storage;

namespace Mistral.Console.Web.Hosting;

public static class HealthEndpoint
{
    /// <summary>GET /healthz: 200 {"status":"ok"} when the store answers SELECT 1, else 503. Anonymous, reveals nothing.</summary>
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", async (Database db, ILoggerFactory logs, CancellationToken ct) =>
        {
            try
            {
                await using var c = await db.OpenAsync(ct);
                await c.ExecuteScalarAsync<int>(new CommandDefinition("SELECT 1", cancellationToken: ct));
                return Results.Json(new { status = "ok" });
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logs.CreateLogger("Mistral.Console.Health").LogWarning("Health check failed: the store does not answer ({Error})", ex.GetType().Name);
                return Results.Json(new { status = "unavailable" }, statusCode: StatusCodes.Status503ServiceUnavailable);
            }
        }).AllowAnonymous().WithTags("Health");
        return app;
    }
}
