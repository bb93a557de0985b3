using System.Reflection;
using System.Text.RegularExpressions;
using Dapper;
using Microsoft.Extensions.Logging;

namespace Mistral.Console.Jobs.Storage;

/// <summary>
/// Applies the versioned plain-SQL files embedded from Storage/Sql/&lt;dialect&gt;/NNNN_name.sql,
/// each in its own transaction together with its row in schema_version. Several dashboard
/// instances on one PostgreSQL serialize on an advisory lock, so each file runs exactly once.
/// </summary>
public sealed partial class Migrator(Database db, ILogger<Migrator> logger)
{
    private const long PostgresLockKey = 0x4D6973747261; // "Mistra"

    public sealed record Migration(int Version, string Name, string Sql);

    public static IReadOnlyList<Migration> Load(SqlDialect dialect)
    {
        var asm = typeof(Migrator).Assembly;
        var folder = dialect == SqlDialect.Sqlite ? ".sqlite." : ".postgres.";
        return asm.GetManifestResourceNames()
            .Where(n => n.Contains(".Storage.Sql" + folder) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n =>
            {
                var file = n[(n.IndexOf(folder, StringComparison.Ordinal) + folder.Length)..];
                var m = FileName().Match(file);
                if (!m.Success) throw new InvalidOperationException($"Migration file '{file}' is not named NNNN_name.sql.");
                return new Migration(int.Parse(m.Groups[1].Value), m.Groups[2].Value, Read(asm, n));
            })
            .OrderBy(m => m.Version)
            .ToList();
    }

    public async Task<int> MigrateAsync(CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct);
        if (db.Dialect == SqlDialect.Sqlite)
            await conn.ExecuteAsync("PRAGMA journal_mode = WAL;"); // readers never block the writer
        else
            await conn.ExecuteAsync("SELECT pg_advisory_lock(@k)", new { k = PostgresLockKey });
        try
        {
            await conn.ExecuteAsync(
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)");
            var applied = (await conn.QueryAsync<int>("SELECT version FROM schema_version")).ToHashSet();
            var count = 0;
            foreach (var m in Load(db.Dialect).Where(m => !applied.Contains(m.Version)))
            {
                await using var tx = await conn.BeginTransactionAsync(ct);
                await conn.ExecuteAsync(new CommandDefinition(m.Sql, transaction: tx, cancellationToken: ct));
                await conn.ExecuteAsync(
                    "INSERT INTO schema_version (version, name, applied_at) VALUES (@Version, @Name, @At)",
                    new { m.Version, m.Name, At = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() }, tx);
                await tx.CommitAsync(ct);
                logger.LogInformation("Applied schema migration {Version} {Name}", m.Version, m.Name);
                count++;
            }
            return count;
        }
        finally
        {
            if (db.Dialect == SqlDialect.Postgres)
                await conn.ExecuteAsync("SELECT pg_advisory_unlock(@k)", new { k = PostgresLockKey });
        }
    }

    private static string Read(Assembly asm, string name)
    {
        using var s = asm.GetManifestResourceStream(name)!;
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }

    [GeneratedRegex(@"^(\d{4})_([a-z0-9_]+)\.sql$")]
    private static partial Regex FileName();
}
