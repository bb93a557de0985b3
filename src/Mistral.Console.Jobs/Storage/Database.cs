using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Mistral.Console.Jobs.Storage;

public enum SqlDialect { Sqlite, Postgres }

/// <summary>
/// The one way to reach the dashboard's own database. Stores open a connection per operation
/// (pooled by both providers) and write their SQL in the common subset of SQLite and PostgreSQL;
/// where the two differ, the store asks <see cref="Dialect"/>.
/// </summary>
public sealed class Database
{
    public Database(SqlDialect dialect, string connectionString)
    {
        Dialect = dialect;
        ConnectionString = dialect == SqlDialect.Sqlite
            ? new SqliteConnectionStringBuilder(connectionString) { Pooling = true, DefaultTimeout = 30 }.ToString()
            : connectionString;
    }

    public SqlDialect Dialect { get; }
    public string ConnectionString { get; }

    /// <summary>SQLite in a file under the data directory: the embedded default.</summary>
    public static Database SqliteFile(string path) =>
        new(SqlDialect.Sqlite, new SqliteConnectionStringBuilder { DataSource = path }.ToString());

    public async Task<DbConnection> OpenAsync(CancellationToken ct = default)
    {
        DbConnection connection = Dialect == SqlDialect.Sqlite
            ? new SqliteConnection(ConnectionString)
            : new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(ct);
        if (Dialect == SqlDialect.Sqlite)
        {
            // Per-connection settings: enforce foreign keys (cascade deletes) and wait on a busy
            // writer instead of failing at once.
            await using var cmd = connection.CreateCommand();
            cmd.CommandText = "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;";
            await cmd.ExecuteNonQueryAsync(ct);
        }
        return connection;
    }

    /// <summary>Clears SQLite's pool so the file can be deleted (tests) or closed cleanly.</summary>
    public void ReleasePooledConnections()
    {
        if (Dialect == SqlDialect.Sqlite) SqliteConnection.ClearAllPools();
    }
}
