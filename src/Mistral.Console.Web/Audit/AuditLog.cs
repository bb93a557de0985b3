using System.Security.Claims;
using Dapper;
using Mistral.Console.Jobs.Storage;

namespace Mistral.Console.Web.Audit;

/// <summary>One row of the audit trail: who did what to which target. Never a secret value.</summary>
public sealed record AuditEvent(long Id, DateTimeOffset At, string Username, string Action, string Target);

/// <summary>
/// Owns the audit_events table. Every mutating action (and every secret reveal) writes one row
/// after it succeeded. Targets name things by id and name; values of secrets never appear here.
/// </summary>
public sealed class AuditLog(Database db, TimeProvider clock)
{
    private const int MaxTargetLength = 300;

    public Task WriteAsync(ClaimsPrincipal actor, string action, string target, CancellationToken ct) =>
        WriteAsync(actor.Identity?.Name ?? "anonymous", action, target, ct);

    public async Task WriteAsync(string username, string action, string target, CancellationToken ct)
    {
        if (target.Length > MaxTargetLength) target = target[..MaxTargetLength] + "…";
        await using var c = await db.OpenAsync(ct);
        await c.ExecuteAsync(new CommandDefinition(
            "INSERT INTO audit_events (at, username, action, target) VALUES (@at, @username, @action, @target)",
            new { at = clock.GetUtcNow().ToUnixTimeMilliseconds(), username, action, target }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<AuditEvent>> RecentAsync(int limit, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var rows = await c.QueryAsync<(long Id, long At, string Username, string Action, string Target)>(new CommandDefinition(
            "SELECT id, at, username, action, target FROM audit_events ORDER BY id DESC LIMIT @limit",
            new { limit = Math.Clamp(limit, 1, 1000) }, cancellationToken: ct));
        return rows.Select(r => new AuditEvent(r.Id, DateTimeOffset.FromUnixTimeMilliseconds(r.At), r.Username, r.Action, r.Target)).ToList();
    }
}
