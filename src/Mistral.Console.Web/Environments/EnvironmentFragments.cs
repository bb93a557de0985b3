using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;
using Mistral.Console.Core.Environments;
using Mistral.Console.Core.Settings;
using Mistral.Console.Web.Audit;
using Mistral.Console.Web.Auth;
using Mistral.Console.Web.Components.Shared;

namespace Mistral.Console.Web.Environments;

/// <summary>The htmx fragments of the environment pages: validation panel, secret reveal and regenerate.</summary>
public static class EnvironmentFragments
{
    public static IEndpointRouteBuilder MapEnvironmentFragments(this IEndpointRouteBuilder app)
    {
        var env = app.MapGroup("/environments/{id:long}").RequireAuthorization(Policies.AdminForWrites);

        env.MapGet("/validation-panel", async (long id, EnvironmentCommands commands, CancellationToken ct) =>
            await commands.ValidateEnvironmentAsync(id, ct) is { } report
                ? (IResult)new RazorComponentResult<ValidationPanel>(new { Report = report })
                : Results.NotFound());

        // A GET, but it shows a secret: admins only, audited, never cached.
        env.MapGet("/settings/secrets/{name}/reveal", async (long id, string name, IEnvironmentStore store, AuditLog audit, HttpContext http, CancellationToken ct) =>
        {
            if (!SecretNames.Generated.Contains(name) || await store.GetAsync(id, ct) is null) return Results.NotFound();
            var value = SecretLabels.Value(await store.GetSettingsAsync(id, ct), name);
            if (string.IsNullOrEmpty(value)) return Results.NotFound();
            await audit.WriteAsync(http.User, "secret.reveal", $"{name} of environment {id}", ct);
            http.Response.Headers.CacheControl = "no-store";
            http.Response.Headers.Pragma = "no-cache";
            return new RazorComponentResult<SecretValue>(new { Name = name, Value = value });
        }).RequireAuthorization(Policies.Admin);

        env.MapPost("/settings/secrets/{name}/regenerate", async (long id, string name, EnvironmentCommands commands, AuditLog audit, HttpContext http, CancellationToken ct) =>
        {
            if (!SecretNames.Generated.Contains(name)) return Results.NotFound();
            if (!await commands.RegenerateSecretAsync(id, name, ct)) return Results.NotFound();
            await audit.WriteAsync(http.User, "secret.regenerate", $"{name} of environment {id}", ct);
            if (http.Request.Headers.ContainsKey("HX-Request"))
                return new RazorComponentResult<SecretRow>(new { EnvironmentId = id, Name = name, IsSet = true, IsAdmin = true, Regenerated = true });
            return Results.Redirect($"/environments/{id}/settings?done=regenerated");
        }).RequireAuthorization(Policies.Admin).WithMetadata(new RequireAntiforgeryTokenAttribute()).AddEndpointFilter<Mistral.Console.Web.Api.AntiforgeryRequiredFilter>();
        return app;
    }
}
