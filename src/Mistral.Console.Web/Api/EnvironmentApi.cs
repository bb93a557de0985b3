using System.Security.Claims;
using Mistral.Console.Core.Environments;
using Mistral.Console.Core.Settings;
using Mistral.Console.Web.Audit;
using Mistral.Console.Web.Auth;

namespace Mistral.Console.Web.Api;

/// <summary>/api/environments: the same commands and rules as the pages (EnvironmentCommands).</summary>
public static class EnvironmentApi
{
    public static RouteGroupBuilder MapEnvironmentApi(this RouteGroupBuilder api)
    {
        var envs = api.MapGroup("/environments").WithTags("Environments");

        envs.MapGet("/", async (IEnvironmentStore store, CancellationToken ct) =>
            (await store.ListAsync(ct)).Select(ToDto).ToList());

        envs.MapPost("/", async (EnvironmentBody body, EnvironmentCommands commands, IEnvironmentStore store, AuditLog audit, ClaimsPrincipal user, CancellationToken ct) =>
        {
            var id = await commands.CreateAsync(body.Name, ct);
            await audit.WriteAsync(user, "environment.create", $"environment {id} '{body.Name}'", ct);
            return Results.Created($"/api/environments/{id}", ToDto((await store.GetAsync(id, ct))!));
        }).RequireAuthorization(Policies.Admin);

        envs.MapGet("/{id:long}", async (long id, IEnvironmentStore store, CancellationToken ct) =>
            await store.GetAsync(id, ct) is { } env ? Results.Ok(ToDto(env)) : EnvironmentNotFound(id));

        envs.MapPut("/{id:long}", async (long id, EnvironmentBody body, EnvironmentCommands commands, IEnvironmentStore store, AuditLog audit, ClaimsPrincipal user, CancellationToken ct) =>
        {
            var before = await store.GetAsync(id, ct);
            if (before is null || !await commands.RenameAsync(id, body.Name, ct)) return EnvironmentNotFound(id);
            await audit.WriteAsync(user, "environment.rename", $"environment {id} '{before.Name}' to '{body.Name}'", ct);
            return Results.Ok(ToDto((await store.GetAsync(id, ct))!));
        }).RequireAuthorization(Policies.Admin);

        envs.MapDelete("/{id:long}", async (long id, string? confirm, EnvironmentCommands commands, AuditLog audit, ClaimsPrincipal user, CancellationToken ct) =>
        {
            if (!await commands.DeleteAsync(id, confirm, ct)) return EnvironmentNotFound(id);
            await audit.WriteAsync(user, "environment.delete", $"environment {id} '{confirm}'", ct);
            return Results.NoContent();
        }).RequireAuthorization(Policies.Admin);

        envs.MapPut("/{id:long}/ssh-key", async (long id, SshKeyBody body, EnvironmentCommands commands, AuditLog audit, ClaimsPrincipal user, CancellationToken ct) =>
        {
            if (!await commands.SetSshKeyAsync(id, body.PrivateKey, ct)) return EnvironmentNotFound(id);
            var what = string.IsNullOrWhiteSpace(body.PrivateKey) ? "environment.ssh-key.remove" : "environment.ssh-key.set";
            await audit.WriteAsync(user, what, $"environment {id}", ct);
            return Results.NoContent();
        }).RequireAuthorization(Policies.Admin);

        MapNodes(envs);
        MapSettings(envs);

        envs.MapGet("/{id:long}/validation", async (long id, EnvironmentCommands commands, CancellationToken ct) =>
            await commands.ValidateEnvironmentAsync(id, ct) is { } report ? Results.Ok(ValidationDto.From(report)) : EnvironmentNotFound(id));
        return api;
    }

    private static void MapNodes(RouteGroupBuilder envs)
    {
        var nodes = envs.MapGroup("/{id:long}/nodes").WithTags("Nodes");

        nodes.MapGet("/", async (long id, IEnvironmentStore store, CancellationToken ct) =>
        {
            if (await store.GetAsync(id, ct) is not { } env) return EnvironmentNotFound(id);
            return Results.Ok((await store.ListNodesAsync(id, ct)).Select(n => NodeDto.From(n, env)).ToList());
        });

        nodes.MapPost("/", async (long id, NodeBody body, EnvironmentCommands commands, IEnvironmentStore store, AuditLog audit, ClaimsPrincipal user, CancellationToken ct) =>
        {
            if (await commands.AddNodeAsync(id, body.ToInput(), ct) is not { } nodeId) return EnvironmentNotFound(id);
            await audit.WriteAsync(user, "node.create", $"node {nodeId} '{body.Name}' in environment {id}", ct);
            return Results.Created($"/api/environments/{id}/nodes/{nodeId}", await NodeAsync(store, id, nodeId, ct));
        }).RequireAuthorization(Policies.Admin);

        nodes.MapGet("/{nodeId:long}", async (long id, long nodeId, IEnvironmentStore store, CancellationToken ct) =>
            await NodeAsync(store, id, nodeId, ct) is { } node ? Results.Ok(node) : NodeNotFound(id, nodeId));

        nodes.MapPut("/{nodeId:long}", async (long id, long nodeId, NodeBody body, EnvironmentCommands commands, IEnvironmentStore store, AuditLog audit, ClaimsPrincipal user, CancellationToken ct) =>
        {
            if (!await commands.UpdateNodeAsync(id, nodeId, body.ToInput(), ct)) return NodeNotFound(id, nodeId);
            var node = await NodeAsync(store, id, nodeId, ct);
            await audit.WriteAsync(user, "node.update", $"node {nodeId} '{node?.Name}' in environment {id}{KeyNote(body.PrivateKey)}", ct);
            return Results.Ok(node);
        }).RequireAuthorization(Policies.Admin);

        nodes.MapDelete("/{nodeId:long}", async (long id, long nodeId, EnvironmentCommands commands, IEnvironmentStore store, AuditLog audit, ClaimsPrincipal user, CancellationToken ct) =>
        {
            var node = await NodeAsync(store, id, nodeId, ct);
            if (node is null || !await commands.DeleteNodeAsync(id, nodeId, ct)) return NodeNotFound(id, nodeId);
            await audit.WriteAsync(user, "node.delete", $"node {nodeId} '{node.Name}' in environment {id}", ct);
            return Results.NoContent();
        }).RequireAuthorization(Policies.Admin);

        nodes.MapPut("/{nodeId:long}/primary", async (long id, long nodeId, EnvironmentCommands commands, IEnvironmentStore store, AuditLog audit, ClaimsPrincipal user, CancellationToken ct) =>
        {
            if (!await commands.SetPrimaryAsync(id, nodeId, ct)) return NodeNotFound(id, nodeId);
            var node = await NodeAsync(store, id, nodeId, ct);
            await audit.WriteAsync(user, "node.primary", $"node {nodeId} '{node?.Name}' in environment {id}", ct);
            return Results.Ok(node);
        }).RequireAuthorization(Policies.Admin);
    }

    private static void MapSettings(RouteGroupBuilder envs)
    {
        var settings = envs.MapGroup("/{id:long}/settings").WithTags("Settings");

        settings.MapGet("/", async (long id, bool? reveal, IEnvironmentStore store, AuditLog audit, ClaimsPrincipal user, CancellationToken ct) =>
        {
            if (await store.GetAsync(id, ct) is null) return EnvironmentNotFound(id);
            if (reveal == true)
            {
                // Support reads everything except secrets.
                if (!user.IsAdmin()) return Results.Forbid();
                await audit.WriteAsync(user, "secret.reveal", $"generated passwords of environment {id} (API)", ct);
            }
            var s = await store.GetSettingsAsync(id, ct);
            return Results.Ok(SettingsDto.From(s, await store.ListNodesAsync(id, ct), reveal == true));
        });

        settings.MapPut("/", async (long id, SettingsBody body, EnvironmentCommands commands, IEnvironmentStore store, AuditLog audit, ClaimsPrincipal user, CancellationToken ct) =>
        {
            if (await store.GetAsync(id, ct) is null) return EnvironmentNotFound(id);
            var current = await store.GetSettingsAsync(id, ct);
            var saved = await commands.UpdateSettingsAsync(id, body.ApplyTo(current), ct);
            if (saved is null) return EnvironmentNotFound(id);
            await audit.WriteAsync(user, "settings.update", $"environment {id} (enabled: {saved.Enabled})", ct);
            return Results.Ok(SettingsDto.From(saved, await store.ListNodesAsync(id, ct), reveal: false));
        }).RequireAuthorization(Policies.Admin);

        settings.MapPost("/secrets/{name}/regenerate", async (long id, string name, EnvironmentCommands commands, AuditLog audit, ClaimsPrincipal user, CancellationToken ct) =>
        {
            if (!await commands.RegenerateSecretAsync(id, name, ct)) return EnvironmentNotFound(id);
            await audit.WriteAsync(user, "secret.regenerate", $"{name} of environment {id}", ct);
            return Results.NoContent();
        }).RequireAuthorization(Policies.Admin);
    }

    private static EnvironmentDto ToDto(CloudEnvironment e) => new(e.Id, e.Name, e.CreatedAt, e.HasSshKey, e.SshPublicKey);

    private static async Task<NodeDto?> NodeAsync(IEnvironmentStore store, long id, long nodeId, CancellationToken ct)
    {
        if (await store.GetAsync(id, ct) is not { } env) return null;
        var node = (await store.ListNodesAsync(id, ct)).FirstOrDefault(n => n.Id == nodeId);
        return node is null ? null : NodeDto.From(node, env);
    }

    private static string KeyNote(string? key) => key is null ? "" : key.Length == 0 ? " (own key removed)" : " (own key replaced)";

    private static IResult EnvironmentNotFound(long id) => ApiResults.NotFound($"Environment {id} does not exist.");
    private static IResult NodeNotFound(long id, long nodeId) => ApiResults.NotFound($"Node {nodeId} does not exist in environment {id}.");
}
