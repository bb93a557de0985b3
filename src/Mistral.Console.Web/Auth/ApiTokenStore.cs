using System.Security.Cryptography;
using System.Text;
using Dapper;
using Mistral.Console.Jobs.Storage;

namespace Mistral.Console.Web.Auth;

/// <summary>
/// Owns the api_tokens table. Only the SHA-256 of a token is stored: a copied database does not
/// yield usable tokens. (A fast hash is enough: tokens are 256 random bits, not guessable passwords.)
/// </summary>
public sealed class ApiTokenStore(Database db)
{
    public const string Prefix = "mct_";

    public static string NewToken() =>
        Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    public async Task<long> CreateAsync(long userId, string tokenHash, DateTimeOffset now, DateTimeOffset expiresAt, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteScalarAsync<long>(new CommandDefinition(
            """
            INSERT INTO api_tokens (user_id, token_hash, created_at, expires_at, revoked_at)
            VALUES (@userId, @tokenHash, @now, @expiresAt, NULL)
            RETURNING id
            """,
            new { userId, tokenHash, now = now.ToUnixTimeMilliseconds(), expiresAt = expiresAt.ToUnixTimeMilliseconds() }, cancellationToken: ct));
    }

    /// <summary>The token's id and user when it exists, is not revoked and has not expired.</summary>
    public async Task<(long TokenId, long UserId)?> FindActiveAsync(string tokenHash, DateTimeOffset now, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var rows = await c.QueryAsync<(long TokenId, long UserId)>(new CommandDefinition(
            "SELECT id, user_id FROM api_tokens WHERE token_hash = @tokenHash AND revoked_at IS NULL AND expires_at > @now",
            new { tokenHash, now = now.ToUnixTimeMilliseconds() }, cancellationToken: ct));
        return rows.Select(r => ((long, long)?)r).FirstOrDefault();
    }

    public async Task<bool> RevokeAsync(long tokenId, DateTimeOffset now, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteAsync(new CommandDefinition(
            "UPDATE api_tokens SET revoked_at = @now WHERE id = @tokenId AND revoked_at IS NULL",
            new { tokenId, now = now.ToUnixTimeMilliseconds() }, cancellationToken: ct)) == 1;
    }

    /// <summary>Revokes every live token of a user; returns how many.</summary>
    public async Task<int> RevokeAllAsync(long userId, DateTimeOffset now, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteAsync(new CommandDefinition(
            "UPDATE api_tokens SET revoked_at = @now WHERE user_id = @userId AND revoked_at IS NULL",
            new { userId, now = now.ToUnixTimeMilliseconds() }, cancellationToken: ct));
    }

    public async Task<int> CountActiveAsync(long userId, DateTimeOffset now, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT COUNT(*) FROM api_tokens WHERE user_id = @userId AND revoked_at IS NULL AND expires_at > @now",
            new { userId, now = now.ToUnixTimeMilliseconds() }, cancellationToken: ct));
    }
}
