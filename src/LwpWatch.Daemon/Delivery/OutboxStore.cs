using LwpWatch.Collectors.Io;
using Microsoft.Data.Sqlite;

namespace LwpWatch.Daemon.Delivery;

/// <summary>
/// The SQLite side of the outbox: queued notifications plus the alert tracker's saved state. WAL with
/// synchronous=FULL: a notification the poll queued survives SIGKILL and power loss. Every method may
/// throw (disk full, I/O error); <see cref="Outbox"/> decides what to do about it.
/// </summary>
public sealed class OutboxStore : IDisposable
{
    private readonly SqliteConnection _db;

    public OutboxStore(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null)
        {
            PrivateFiles.CreateDirectory(dir);
        }

        // The database exists as 0640 before SQLite opens it: SQLite creates its -wal and -shm with the database
        // file's mode (os_unix.c findCreateFileMode / unixOpenSharedMemory), so all three stay 0640.
        PrivateFiles.EnsureFile(path);
        foreach (var side in new[] { "-wal", "-shm", "-journal" })
        {
            PrivateFiles.Restrict(path + side);
        }

        _db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, DefaultTimeout = 5 }.ToString());
        try
        {
            _db.Open();
            Exec("PRAGMA journal_mode=WAL;");
            Exec("PRAGMA synchronous=FULL;");
            Exec("PRAGMA busy_timeout=2000;");
            Exec("""
                CREATE TABLE IF NOT EXISTS outbox(
                  id INTEGER PRIMARY KEY AUTOINCREMENT,
                  receiver TEXT NOT NULL,
                  key TEXT NOT NULL,
                  status TEXT NOT NULL,
                  payload TEXT NOT NULL,
                  created_ms INTEGER NOT NULL,
                  next_ms INTEGER NOT NULL,
                  attempts INTEGER NOT NULL DEFAULT 0,
                  last_error TEXT,
                  UNIQUE(receiver, key, status));
                CREATE INDEX IF NOT EXISTS outbox_receiver ON outbox(receiver, next_ms);
                CREATE TABLE IF NOT EXISTS kv(name TEXT PRIMARY KEY, value TEXT NOT NULL, saved_ms INTEGER NOT NULL);
                """);
        }
        catch
        {
            _db.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Queues rows (replacing a queued row of the same receiver/key/status), saves the state, and trims
    /// the oldest rows beyond <paramref name="maxRows"/>, all in one transaction. Returns the trimmed rows.
    /// </summary>
    public IReadOnlyList<OutboxRow> Save(IReadOnlyList<OutboxRow> rows, string? stateJson, long nowMs, int maxRows)
    {
        using var tx = _db.BeginTransaction();
        foreach (var r in rows)
        {
            using var cmd = _db.CreateCommand();
            cmd.Transaction = tx;

            // Keep the queued row's attempts and schedule (its backoff); take the newer content and age.
            cmd.CommandText = """
                INSERT INTO outbox(receiver, key, status, payload, created_ms, next_ms, attempts, last_error)
                VALUES($r, $k, $s, $p, $c, $n, $a, $e)
                ON CONFLICT(receiver, key, status) DO UPDATE SET payload = excluded.payload, created_ms = excluded.created_ms;
                """;
            cmd.Parameters.AddWithValue("$r", r.Receiver);
            cmd.Parameters.AddWithValue("$k", r.Key);
            cmd.Parameters.AddWithValue("$s", r.Status);
            cmd.Parameters.AddWithValue("$p", r.Payload);
            cmd.Parameters.AddWithValue("$c", r.CreatedMs);
            cmd.Parameters.AddWithValue("$n", r.NextMs);
            cmd.Parameters.AddWithValue("$a", r.Attempts);
            cmd.Parameters.AddWithValue("$e", (object?)r.LastError ?? DBNull.Value);
            cmd.ExecuteNonQuery();
        }

        if (stateJson is not null)
        {
            using var cmd = _db.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = "INSERT INTO kv(name, value, saved_ms) VALUES('alerts', $v, $t) ON CONFLICT(name) DO UPDATE SET value = excluded.value, saved_ms = excluded.saved_ms;";
            cmd.Parameters.AddWithValue("$v", stateJson);
            cmd.Parameters.AddWithValue("$t", nowMs);
            cmd.ExecuteNonQuery();
        }

        var trimmed = new List<OutboxRow>();
        var count = Count(tx);
        if (count > maxRows)
        {
            trimmed.AddRange(Query(tx, "SELECT * FROM outbox ORDER BY id LIMIT $lim", ("$lim", count - maxRows)));
            foreach (var t in trimmed)
            {
                Delete(t.Id, tx);
            }
        }

        tx.Commit();
        return trimmed;
    }

    public string? LoadState()
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT value FROM kv WHERE name = 'alerts'";
        return cmd.ExecuteScalar() as string;
    }

    /// <summary>One receiver's rows due at <paramref name="nowMs"/>, oldest first.</summary>
    public IReadOnlyList<OutboxRow> Due(string receiver, long nowMs, int limit) =>
        Query(null, "SELECT * FROM outbox WHERE receiver = $r AND next_ms <= $now ORDER BY id LIMIT $lim", ("$r", receiver), ("$now", nowMs), ("$lim", limit));

    /// <summary>The payload queued for this receiver, key and status, or null.</summary>
    public string? Queued(string receiver, string key, string status)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT payload FROM outbox WHERE receiver = $r AND key = $k AND status = $s";
        cmd.Parameters.AddWithValue("$r", receiver);
        cmd.Parameters.AddWithValue("$k", key);
        cmd.Parameters.AddWithValue("$s", status);
        return cmd.ExecuteScalar() as string;
    }

    /// <summary>Distinct receivers with queued rows.</summary>
    public IReadOnlyList<string> Receivers()
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT DISTINCT receiver FROM outbox";
        var list = new List<string>();
        using var rd = cmd.ExecuteReader();
        while (rd.Read())
        {
            list.Add(rd.GetString(0));
        }

        return list;
    }

    public IReadOnlyList<OutboxRow> ForReceiver(string receiver) =>
        Query(null, "SELECT * FROM outbox WHERE receiver = $r ORDER BY id", ("$r", receiver));

    public IReadOnlyList<OutboxRow> All() => Query(null, "SELECT * FROM outbox ORDER BY id");

    public void Delete(long id, SqliteTransaction? tx = null)
    {
        using var cmd = _db.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "DELETE FROM outbox WHERE id = $id";
        cmd.Parameters.AddWithValue("$id", id);
        cmd.ExecuteNonQuery();
    }

    /// <summary>
    /// Deletes the row only if it still holds <paramref name="payload"/>: a poll may replace a queued row's payload
    /// (same receiver, key and status) while the worker is sending the old one, and the newer one (a severity
    /// change that ends the old label set in Alertmanager, say) must then still be sent. Returns whether it went.
    /// </summary>
    public bool DeleteSent(long id, string payload)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "DELETE FROM outbox WHERE id = $id AND payload = $p";
        cmd.Parameters.AddWithValue("$id", id);
        cmd.Parameters.AddWithValue("$p", payload);
        return cmd.ExecuteNonQuery() > 0;
    }

    public void Reschedule(long id, long nextMs, int attempts, string error)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "UPDATE outbox SET next_ms = $n, attempts = $a, last_error = $e WHERE id = $id";
        cmd.Parameters.AddWithValue("$n", nextMs);
        cmd.Parameters.AddWithValue("$a", attempts);
        cmd.Parameters.AddWithValue("$e", error);
        cmd.Parameters.AddWithValue("$id", id);
        cmd.ExecuteNonQuery();
    }

    /// <summary>Deletes and returns rows queued before <paramref name="cutoffMs"/>.</summary>
    public IReadOnlyList<OutboxRow> Expire(long cutoffMs)
    {
        using var tx = _db.BeginTransaction();
        var rows = Query(tx, "SELECT * FROM outbox WHERE created_ms < $cut ORDER BY id", ("$cut", cutoffMs));
        foreach (var r in rows)
        {
            Delete(r.Id, tx);
        }

        tx.Commit();
        return rows;
    }

    /// <summary>Queued rows and the creation time of the oldest (null when empty).</summary>
    public (int Count, long? OldestMs) Stats()
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*), MIN(created_ms) FROM outbox";
        using var rd = cmd.ExecuteReader();
        rd.Read();
        return (rd.GetInt32(0), rd.IsDBNull(1) ? null : rd.GetInt64(1));
    }

    public void Dispose() => _db.Dispose();

    private int Count(SqliteTransaction tx)
    {
        using var cmd = _db.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "SELECT COUNT(*) FROM outbox";
        return Convert.ToInt32(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private List<OutboxRow> Query(SqliteTransaction? tx, string sql, params (string Name, object Value)[] args)
    {
        using var cmd = _db.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        foreach (var (n, v) in args)
        {
            cmd.Parameters.AddWithValue(n, v);
        }

        var list = new List<OutboxRow>();
        using var rd = cmd.ExecuteReader();
        while (rd.Read())
        {
            list.Add(new OutboxRow(
                rd.GetInt64(rd.GetOrdinal("id")),
                rd.GetString(rd.GetOrdinal("receiver")),
                rd.GetString(rd.GetOrdinal("key")),
                rd.GetString(rd.GetOrdinal("status")),
                rd.GetString(rd.GetOrdinal("payload")),
                rd.GetInt64(rd.GetOrdinal("created_ms")),
                rd.GetInt64(rd.GetOrdinal("next_ms")),
                rd.GetInt32(rd.GetOrdinal("attempts")),
                rd.IsDBNull(rd.GetOrdinal("last_error")) ? null : rd.GetString(rd.GetOrdinal("last_error"))));
        }

        return list;
    }

    private void Exec(string sql)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
