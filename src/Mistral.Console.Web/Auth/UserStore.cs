using Dapper;
using Mistral.Console.Jobs.Storage;

namespace Mistral.Console.Web.Auth;

/// <summary>A dashboard user as stored. <see cref="SecurityStamp"/> changes with the password and
/// invalidates every cookie issued before.</summary>
public sealed record ConsoleUser(
    long Id,
    string Username,
    string PasswordHash,
    string Role,
    int FailedSignIns,
    DateTimeOffset? LockedUntil,
    string SecurityStamp,
    DateTimeOffset CreatedAt)
{
    public bool IsAdmin => Role == UserRoles.Admin;

    // The hash is not a secret in the strict sense, but it has no business in logs.
    public override string ToString() => $"{Username} ({Role}, id {Id})";
}

/// <summary>Owns the users table. SQL is the common subset of SQLite and PostgreSQL.</summary>
public sealed class UserStore(Database db)
{
    private const string Columns = "id, username, password_hash, role, failed_signins, locked_until, security_stamp, created_at";

    public async Task<IReadOnlyList<ConsoleUser>> ListAsync(CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var rows = await c.QueryAsync<Row>(new CommandDefinition($"SELECT {Columns} FROM users ORDER BY lower(username)", cancellationToken: ct));
        return rows.Select(r => r.ToModel()).ToList();
    }

    public async Task<ConsoleUser?> FindByIdAsync(long id, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var row = await c.QuerySingleOrDefaultAsync<Row>(new CommandDefinition($"SELECT {Columns} FROM users WHERE id = @id", new { id }, cancellationToken: ct));
        return row?.ToModel();
    }

    public async Task<ConsoleUser?> FindByNameAsync(string username, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var row = await c.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            $"SELECT {Columns} FROM users WHERE lower(username) = lower(@username)", new { username }, cancellationToken: ct));
        return row?.ToModel();
    }

    public async Task<long> CountAsync(CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM users", cancellationToken: ct));
    }

    public async Task<long> CreateAsync(string username, string passwordHash, string role, string securityStamp, DateTimeOffset now, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteScalarAsync<long>(new CommandDefinition(
            """
            INSERT INTO users (username, password_hash, role, failed_signins, locked_until, security_stamp, created_at)
            VALUES (@username, @passwordHash, @role, 0, NULL, @securityStamp, @now)
            RETURNING id
            """,
            new { username, passwordHash, role, securityStamp, now = now.ToUnixTimeMilliseconds() }, cancellationToken: ct));
    }

    public async Task<bool> SetPasswordAsync(long id, string passwordHash, string securityStamp, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteAsync(new CommandDefinition(
            "UPDATE users SET password_hash = @passwordHash, security_stamp = @securityStamp, failed_signins = 0, locked_until = NULL WHERE id = @id",
            new { id, passwordHash, securityStamp }, cancellationToken: ct)) == 1;
    }

    /// <summary>Counts a failed sign-in atomically and returns the new count.</summary>
    public async Task<int> IncrementFailuresAsync(long id, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteScalarAsync<int>(new CommandDefinition(
            "UPDATE users SET failed_signins = failed_signins + 1 WHERE id = @id RETURNING failed_signins", new { id }, cancellationToken: ct));
    }

    public async Task LockAsync(long id, DateTimeOffset until, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await c.ExecuteAsync(new CommandDefinition(
            "UPDATE users SET failed_signins = 0, locked_until = @until WHERE id = @id", new { id, until = until.ToUnixTimeMilliseconds() }, cancellationToken: ct));
    }

    public async Task ResetFailuresAsync(long id, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await c.ExecuteAsync(new CommandDefinition(
            "UPDATE users SET failed_signins = 0, locked_until = NULL WHERE id = @id AND (failed_signins <> 0 OR locked_until IS NOT NULL)",
            new { id }, cancellationToken: ct));
    }

    public async Task<bool> UpdateHashAsync(long id, string passwordHash, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteAsync(new CommandDefinition(
            "UPDATE users SET password_hash = @passwordHash WHERE id = @id", new { id, passwordHash }, cancellationToken: ct)) == 1;
    }

    /// <summary>
    /// Deletes a user unless it is the last admin. The check and the delete are one statement, so two
    /// admins deleting each other at once cannot leave the dashboard without an admin.
    /// </summary>
    public async Task<bool> DeleteUnlessLastAdminAsync(long id, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteAsync(new CommandDefinition(
            """
            DELETE FROM users WHERE id = @id
              AND (role <> 'admin' OR (SELECT COUNT(*) FROM users WHERE role = 'admin') > 1)
            """, new { id }, cancellationToken: ct)) == 1;
    }

#pragma warning disable IDE1006 // Row shape mirrors the column list; Dapper maps by name.
    private sealed class Row
    {
        public long id { get; set; }
        public string username { get; set; } = "";
        public string password_hash { get; set; } = "";
        public string role { get; set; } = "";
        public long failed_signins { get; set; }
        public long? locked_until { get; set; }
        public string security_stamp { get; set; } = "";
        public long created_at { get; set; }

        public ConsoleUser ToModel() => new(id, username, password_hash, role, (int)failed_signins,
            locked_until is null ? null : DateTimeOffset.FromUnixTimeMilliseconds(locked_until.Value),
            security_stamp, DateTimeOffset.FromUnixTimeMilliseconds(created_at));
    }
#pragma warning restore IDE1006
}
