using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Tally.Model;

namespace Tally.Ledger.Sqlite;

/// <summary>
/// The embedded default ledger: one SQLite file, shared safely by every Tally process on the machine.
/// </summary>
/// <remarks>
/// <para>
/// The file runs in WAL mode, so readers never block the writer, with <c>synchronous=NORMAL</c>
/// (a power cut may lose the last commits but never corrupts the file, and a lost commit is simply
/// read again from its cursor). Every write transaction starts with <c>BEGIN IMMEDIATE</c> and a
/// process that finds another one writing waits up to <see cref="BusyTimeout"/> rather than fail.
/// </para>
/// <para>
/// Calls are upserts on (source, call key): when a call is already stored, the more complete
/// observation (<see cref="LlmCall.Completeness"/>) supplies model, usage, stop reason, duration,
/// request id and reported cost, which are overwritten and never summed; the earliest sighting
/// supplies where the call was made: session, timestamp, project, agent, sidechain flag, user and
/// host. Ties keep what is stored. Tool results merge field by field, the first non-null value
/// winning. Because every rule is an upsert, two ingests writing the same calls never double count.
/// </para>
/// <para>
/// An instance holds one connection and runs one operation at a time; it is safe to share between
/// threads, which simply queue. The record reads (<see cref="ReadCallsAsync"/>,
/// <see cref="ReadToolResultsAsync"/>) are the exception: each runs on a read-only connection of
/// its own, so a report can read calls and tool results at once on two cores. Open one instance
/// per process and dispose it to close the file.
/// </para>
/// </remarks>
public sealed class SqliteLedger : ILedger
{
    /// <summary>How long an operation waits for another process's write lock before it fails.</summary>
    public static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(10);

    private const int PageSize = 32 * 1024;

    // Room for the primary-key index of about half a million calls: upserts land at random
    // places in it (call ids are random), so a cache smaller than the index turns into reads.
    private const int CacheKibibytes = 64 * 1024;

    // The most of the ledger file that reads take through a memory map (see Configure).
    private const long MemoryMapBytes = 1L << 30;

    // What the write-ahead log is cut back to after a checkpoint empties it (see Configure).
    private const long WalKeptBytes = 32L << 20;

    // sqlite3_db_config option: closing the last connection leaves the write-ahead log as it is.
    private const int NoCheckpointOnClose = 1006; // SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE

    private readonly SqliteConnection _connection;
    // Read-only connections for the record reads, opened on first use and kept for the next
    // (guarded by locking the stack itself).
    private readonly Stack<SqliteConnection> _readers = [];
    // Prepared on the first commit: a ledger opened for a report never writes.
    private SqliteBatchWriter? _writer;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private bool _disposed;

    private SqliteLedger(string location, SqliteConnection connection)
    {
        Location = location;
        _connection = connection;
    }

    /// <summary>
    /// Switches SQLite, for the whole process, from its default serialized mode, where every call
    /// into a connection takes that connection's lock, to multi-thread mode, where it takes none,
    /// and stops its memory statistics, which take a global lock on every allocation. A report
    /// makes millions of such calls, and the locks were a tenth of its time.
    /// </summary>
    /// <remarks>
    /// Safe only where no SQLite connection in the process is used by two threads at once, as
    /// every connection of a ledger is; an application that shares connections between threads
    /// must not call it. It takes effect only before SQLite's first use in the process, so call it
    /// first thing in <c>Main</c>.
    /// </remarks>
    /// <returns>Whether the mode was set (false when SQLite was already in use).</returns>
    public static bool UseMultiThreadMode()
    {
        SQLitePCL.Batteries_V2.Init();
        return SQLitePCL.raw.sqlite3_config(SQLitePCL.raw.SQLITE_CONFIG_MULTITHREAD) == SQLitePCL.raw.SQLITE_OK
            && SQLitePCL.raw.sqlite3_config(SQLitePCL.raw.SQLITE_CONFIG_MEMSTATUS, 0) == SQLitePCL.raw.SQLITE_OK;
    }

    /// <summary>The full path of the ledger file.</summary>
    public string Location { get; }

    /// <summary>
    /// Opens the ledger at <paramref name="path"/>, creating the file and its directory when
    /// missing and bringing an older schema up to date.
    /// </summary>
    /// <param name="path">The ledger file, e.g. <c>~/.tally/ledger.db</c>.</param>
    /// <param name="cancellationToken">Stops the open before it touches the schema.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or blank.</exception>
    /// <exception cref="NotSupportedException">The file was written by a newer Tally with a schema this one does not know.</exception>
    /// <exception cref="SqliteException">The file is not a SQLite database, or it stayed locked longer than <see cref="BusyTimeout"/>.</exception>
    public static async Task<SqliteLedger> OpenAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var fullPath = Path.GetFullPath(path);
        if (Path.GetDirectoryName(fullPath) is { Length: > 0 } directory)
        {
            Directory.CreateDirectory(directory);
        }

        var connection = await OpenConnectionAsync(
            fullPath, SqliteOpenMode.ReadWriteCreate, c => SqliteSchema.Migrate(c, fullPath), cancellationToken).ConfigureAwait(false);
        return new SqliteLedger(fullPath, connection);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, FileCursor>> GetCursorsAsync(string source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        await EnterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var command = _connection.CreateCommand();
            command.CommandText = """
                SELECT path, fingerprint, byte_offset, line, size, modified_ms, lines_skipped, state
                FROM file_cursors WHERE source = $source
                """;
            command.Parameters.AddWithValue("$source", source);
            var cursors = new Dictionary<string, FileCursor>(StringComparer.Ordinal);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var path = reader.GetString(0);
                cursors[path] = new FileCursor(
                    source,
                    path,
                    reader.GetString(1),
                    reader.GetInt64(2),
                    reader.GetInt64(3),
                    reader.GetInt64(4),
                    DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)),
                    reader.GetInt64(6),
                    reader.IsDBNull(7) ? null : reader.GetString(7));
            }

            return cursors;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// The whole batch is one <c>BEGIN IMMEDIATE</c> transaction: if any row fails or the token
    /// fires part-way, nothing of the batch is written, its cursors included.
    /// </remarks>
    public async Task CommitAsync(IngestBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.IsEmpty)
        {
            return;
        }

        await using var transaction = await BeginAsync(cancellationToken).ConfigureAwait(false);
        await transaction.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>
    /// A <c>BEGIN IMMEDIATE</c> transaction: each part is upserted as it is written, and the ledger's
    /// write lock (and this connection) is held until the transaction commits or is disposed, which
    /// rolls back every part. Another process's writer waits for it up to <see cref="BusyTimeout"/>.
    /// </remarks>
    public async Task<ILedgerTransaction> BeginAsync(CancellationToken cancellationToken = default)
    {
        await EnterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var transaction = _connection.BeginTransaction(deferred: false);
            _writer ??= new SqliteBatchWriter(_connection);
            return new WriteTransaction(this, transaction);
        }
        catch
        {
            _gate.Release();
            throw;
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<UsageAggregate>> AggregateAsync(UsageQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        await EnterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return UsageAggregateCommand.Run(_connection, query);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<SessionSpan>> GetSessionSpansAsync(CallFilter filter, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        await EnterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var parameters = new List<(string Name, SqlValue Value)>();
            var sql = $"""
                SELECT source, session_id, max(coalesce(project_key, project)), min(ts_ms), max(ts_ms), max(parent_session_id)
                FROM calls
                {UsageAggregateCommand.Where(parameters, filter)}
                GROUP BY source, session_id
                """;
            using var statement = new PreparedStatement(_connection, sql);
            foreach (var (name, value) in parameters)
            {
                statement.Bind(statement.ParameterIndex(name), value);
            }

            var spans = new List<SessionSpan>();
            while (statement.Step())
            {
                spans.Add(new SessionSpan(
                    System.Text.Encoding.UTF8.GetString(statement.Utf8(0)),
                    System.Text.Encoding.UTF8.GetString(statement.Utf8(1)),
                    statement.IsNull(2) ? null : System.Text.Encoding.UTF8.GetString(statement.Utf8(2)),
                    DateTimeOffset.FromUnixTimeMilliseconds(statement.Int64(3)),
                    DateTimeOffset.FromUnixTimeMilliseconds(statement.Int64(4)),
                    statement.IsNull(5) ? null : System.Text.Encoding.UTF8.GetString(statement.Utf8(5))));
            }

            return spans;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    /// <remarks>The calls are read whole under the ledger's lock, then handed out.</remarks>
    public IAsyncEnumerable<LlmCall> ReadCallsAsync(CallFilter filter, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        return ReadWholeAsync(connection => RecordReadCommand.ReadCalls(connection, filter), cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>The results are read whole under the ledger's lock, then handed out.</remarks>
    public IAsyncEnumerable<ToolResult> ReadToolResultsAsync(CallFilter filter, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        return ReadWholeAsync(connection => RecordReadCommand.ReadToolResults(connection, filter), cancellationToken);
    }

    // A read runs whole on a reader connection of its own, so a caller that is slow to consume
    // never holds it, and two reads (calls, tool results) run at once.
    private async IAsyncEnumerable<T> ReadWholeAsync<T>(
        Func<SqliteConnection, List<T>> read, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        SqliteConnection? reader;
        lock (_readers)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _readers.TryPop(out reader);
        }

        reader ??= await OpenConnectionAsync(Location, SqliteOpenMode.ReadOnly, prepare: null, cancellationToken).ConfigureAwait(false);
        List<T> records;
        try
        {
            records = read(reader);
        }
        finally
        {
            lock (_readers)
            {
                if (!_disposed)
                {
                    _readers.Push(reader);
                    reader = null;
                }
            }

            reader?.Dispose();
        }

        foreach (var record in records)
        {
            yield return record;
        }
    }

    /// <inheritdoc />
    public async Task ForgetSourcesAsync(IReadOnlyList<string> sources, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sources);
        await EnterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var transaction = _connection.BeginTransaction(deferred: false);
            using var command = _connection.CreateCommand();
            command.Transaction = transaction;
            foreach (var source in sources)
            {
                command.Parameters.Clear();
                command.Parameters.AddWithValue("$source", source);
                command.CommandText = """
                    DELETE FROM calls WHERE source = $source;
                    DELETE FROM tool_results WHERE source = $source;
                    DELETE FROM file_cursors WHERE source = $source;
                    """;
                command.ExecuteNonQuery();
            }

            transaction.Commit();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async Task<LedgerStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default)
    {
        await EnterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // One read transaction, so the counts come from one snapshot even while another
            // process commits; the ingester compares counts taken before and after a sweep.
            using var snapshot = _connection.BeginTransaction(deferred: true);
            using var command = _connection.CreateCommand();
            command.Transaction = snapshot;
            var callsBySource = new Dictionary<string, long>(StringComparer.Ordinal);
            command.CommandText = "SELECT source, count(*) FROM calls GROUP BY source";
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    callsBySource[reader.GetString(0)] = reader.GetInt64(1);
                }
            }

            command.CommandText = "SELECT count(*) FROM tool_results";
            var toolResults = Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);

            long files;
            long linesSkipped;
            command.CommandText = "SELECT count(*), coalesce(sum(lines_skipped), 0) FROM file_cursors";
            using (var reader = command.ExecuteReader())
            {
                reader.Read();
                files = reader.GetInt64(0);
                linesSkipped = reader.GetInt64(1);
            }

            // Read afresh: another process may have migrated the file since this one opened it.
            var version = SqliteSchema.ReadVersion(_connection, snapshot);
            return new LedgerStatistics(Location, version, callsBySource, toolResults, files, linesSkipped);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Waits for any operation in progress, then closes the file.</summary>
    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }

            List<SqliteConnection> readers;
            lock (_readers)
            {
                _disposed = true;
                readers = [.. _readers];
                _readers.Clear();
            }

            _writer?.Dispose();
            await _connection.DisposeAsync().ConfigureAwait(false);
            foreach (var reader in readers)
            {
                await reader.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private static string ConnectionString(string path, SqliteOpenMode mode) => new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Mode = mode,
        // Disposing the ledger must really close the file (tests delete it; other tools may
        // want it), and long-lived connections gain nothing from a pool.
        Pooling = false,
        DefaultTimeout = (int)BusyTimeout.TotalSeconds,
    }.ToString();

    // Opens a connection with its settings and runs prepare on it; nothing stays open if either fails.
    private static async Task<SqliteConnection> OpenConnectionAsync(
        string path, SqliteOpenMode mode, Action<SqliteConnection>? prepare, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(ConnectionString(path, mode));
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            Configure(connection, writes: mode != SqliteOpenMode.ReadOnly);
            prepare?.Invoke(connection);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static void Configure(SqliteConnection connection, bool writes)
    {
        using var command = connection.CreateCommand();
        // busy_timeout first: switching to WAL needs a lock that another opener may hold.
        // page_size only takes effect while the file is still empty, i.e. before WAL is set;
        // large pages make bulk upserts and full scans markedly faster than the 4 KiB default.
        // Reads through a memory map skip the copy of every page into SQLite's cache, which is
        // most of a summary's time; the ledger is never truncated under a reader (no VACUUM),
        // the one case where a map is unsafe. A read-only connection needs only the timeout and
        // the map.
        // A writing connection does not fold the write-ahead log back into the file when it
        // closes: at the end of every run that meant two fsyncs, a copy of the last commits and
        // a file delete, after an ingest's work was done. The log is part of the ledger like the
        // file (it is replayed on open), and the checkpoints SQLite runs as commits grow it
        // (every 1,000 pages) keep it small; journal_size_limit cuts its file back after each.
        var writerSettings = writes
            ? $"""
                PRAGMA page_size = {PageSize};
                PRAGMA journal_mode = WAL;
                PRAGMA synchronous = NORMAL;
                PRAGMA cache_size = -{CacheKibibytes};
                PRAGMA journal_size_limit = {WalKeptBytes};
                """
            : "";
        command.CommandText = $"""
            PRAGMA busy_timeout = {(long)BusyTimeout.TotalMilliseconds};
            {writerSettings}
            PRAGMA mmap_size = {MemoryMapBytes};
            """;
        command.ExecuteNonQuery();
        if (writes)
        {
            SQLitePCL.raw.sqlite3_db_config(connection.Handle, NoCheckpointOnClose, 1, out _);
        }
    }

    /// <summary>An open write transaction; it holds the gate until it ends.</summary>
    private sealed class WriteTransaction(SqliteLedger ledger, SqliteTransaction transaction) : ILedgerTransaction
    {
        private bool _ended;

        public Task WriteAsync(IngestBatch part, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(part);
            ObjectDisposedException.ThrowIf(_ended, this);
            ledger._writer!.Write(part, cancellationToken);
            return Task.CompletedTask;
        }

        public Task CommitAsync(CancellationToken cancellationToken = default)
        {
            ObjectDisposedException.ThrowIf(_ended, this);
            cancellationToken.ThrowIfCancellationRequested();
            transaction.Commit();
            End();
            return Task.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            if (!_ended)
            {
                End(); // disposing an uncommitted transaction rolls it back
            }

            return ValueTask.CompletedTask;
        }

        private void End()
        {
            _ended = true;
            transaction.Dispose();
            ledger._gate.Release();
        }
    }

    private async Task EnterAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (_disposed)
        {
            _gate.Release();
            throw new ObjectDisposedException(nameof(SqliteLedger));
        }
    }
}
