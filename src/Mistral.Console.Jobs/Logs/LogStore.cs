using Dapper;
using Microsoft.Data.Sqlite;
using Mistral.Console.Jobs.Engine;
using Mistral.Console.Jobs.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Mistral.Console.Jobs.Logs;

/// <summary>Owns the log_lines table. Lines arrive in batches: one transaction (SQLite) or one
/// binary COPY (PostgreSQL) per batch, never one round trip per line.</summary>
public sealed class LogStore(Database db)
{
    private const string Columns = "seq, at, task_run_id, node_id, task_id, stream, text";

    public async Task AppendAsync(long deploymentId, IReadOnlyList<LogLine> lines, CancellationToken ct)
    {
        if (lines.Count == 0) return;
        await using var c = await db.OpenAsync(ct);
        if (c is NpgsqlConnection pg)
        {
            await using var copy = await pg.BeginBinaryImportAsync(
                "COPY log_lines (deployment_id, seq, at, task_run_id, node_id, task_id, stream, text) FROM STDIN (FORMAT BINARY)", ct);
            foreach (var l in lines)
            {
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(deploymentId, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(l.Seq, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(Time.ToDb(l.At), NpgsqlDbType.Bigint, ct);
                await WriteNullableAsync(copy, l.TaskRunId, ct);
                await WriteNullableAsync(copy, l.NodeId, ct);
                if (l.TaskId is null) await copy.WriteNullAsync(ct); else await copy.WriteAsync(l.TaskId, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(StreamName(l.Stream), NpgsqlDbType.Text, ct);
                await copy.WriteAsync(l.Text, NpgsqlDbType.Text, ct);
            }
            await copy.CompleteAsync(ct);
            return;
        }

        var sqlite = (SqliteConnection)c;
        await using var tx = (SqliteTransaction)await sqlite.BeginTransactionAsync(ct);
        await using var cmd = sqlite.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "INSERT INTO log_lines (deployment_id, seq, at, task_run_id, node_id, task_id, stream, text) VALUES ($d, $s, $a, $r, $n, $t, $st, $x)";
        var p = new[] { "$d", "$s", "$a", "$r", "$n", "$t", "$st", "$x" }.Select(n => cmd.Parameters.Add(new SqliteParameter { ParameterName = n })).ToArray();
        cmd.Prepare();
        foreach (var l in lines)
        {
            p[0].Value = deploymentId;
            p[1].Value = l.Seq;
            p[2].Value = Time.ToDb(l.At);
            p[3].Value = (object?)l.TaskRunId ?? DBNull.Value;
            p[4].Value = (object?)l.NodeId ?? DBNull.Value;
            p[5].Value = (object?)l.TaskId ?? DBNull.Value;
            p[6].Value = StreamName(l.Stream);
            p[7].Value = l.Text;
            await cmd.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
    }

    public async Task<long> MaxSeqAsync(long deploymentId, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT MAX(seq) FROM log_lines WHERE deployment_id = @deploymentId", new { deploymentId }, cancellationToken: ct)) ?? 0;
    }

    /// <summary>Lines after <paramref name="afterSeq"/> (oldest first), optionally for one node and/or task.</summary>
    public async Task<IReadOnlyList<LogLine>> ReadAsync(long deploymentId, long afterSeq, int limit, long? nodeId, string? taskId, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var rows = await c.QueryAsync<Row>(new CommandDefinition(
            $"""
            SELECT {Columns} FROM log_lines
            WHERE deployment_id = @deploymentId AND seq > @afterSeq
              AND (@nodeId IS NULL OR node_id = @nodeId) AND (@taskId IS NULL OR task_id = @taskId)
            ORDER BY seq LIMIT @limit
            """, new { deploymentId, afterSeq, limit, nodeId, taskId }, cancellationToken: ct));
        return rows.Select(r => r.ToModel()).ToList();
    }

    /// <summary>The <paramref name="limit"/> lines before <paramref name="beforeSeq"/>, oldest first (paging backwards).</summary>
    public async Task<IReadOnlyList<LogLine>> ReadBeforeAsync(long deploymentId, long beforeSeq, int limit, long? nodeId, string? taskId, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var rows = await c.QueryAsync<Row>(new CommandDefinition(
            $"""
            SELECT {Columns} FROM log_lines
            WHERE deployment_id = @deploymentId AND seq < @beforeSeq
              AND (@nodeId IS NULL OR node_id = @nodeId) AND (@taskId IS NULL OR task_id = @taskId)
            ORDER BY seq DESC LIMIT @limit
            """, new { deploymentId, beforeSeq, limit, nodeId, taskId }, cancellationToken: ct));
        return rows.Select(r => r.ToModel()).Reverse().ToList();
    }

    private static async Task WriteNullableAsync(NpgsqlBinaryImporter copy, long? value, CancellationToken ct)
    {
        if (value is null) await copy.WriteNullAsync(ct); else await copy.WriteAsync(value.Value, NpgsqlDbType.Bigint, ct);
    }

    internal static string StreamName(LogStream s) => s switch { LogStream.Out => "out", LogStream.Err => "err", _ => "sys" };
    private static LogStream ParseStream(string s) => s switch { "out" => LogStream.Out, "err" => LogStream.Err, _ => LogStream.Sys };

#pragma warning disable IDE1006
    private sealed class Row
    {
        public long seq { get; set; }
        public long at { get; set; }
        public long? task_run_id { get; set; }
        public long? node_id { get; set; }
        public string? task_id { get; set; }
        public string stream { get; set; } = "";
        public string text { get; set; } = "";
        public LogLine ToModel() => new(seq, Time.FromDb(at), task_run_id, node_id, task_id, ParseStream(stream), text);
    }
#pragma warning restore IDE1006
}
