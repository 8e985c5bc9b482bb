using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Npgsql;
using Tally.Model;

namespace Tally.Ledger.Postgres;

/// <summary>
/// The team ledger: one PostgreSQL database that every developer machine, CI runner and app
/// writes into, and that every report can read. It answers every query exactly as the embedded
/// SQLite ledger does for the same records (a shared contract test suite runs against both).
/// </summary>
/// <remarks>
/// <para>
/// Writes follow the SQLite ledger's rules: calls are upserts on (source, call key), the most
/// complete observation supplying usage and outcome and the earliest sighting supplying where the
/// call was made; tool results merge field by field; cursors replace. So two machines ingesting
/// the same synced log, a retried batch or a rerun after a dropped connection never double count.
/// A batch is one transaction (binary <c>COPY</c> into a temporary table, then one multi-row
/// upsert per table). A transient failure (a lost connection, a deadlock, a server restart) rolls
/// the transaction back and runs the whole batch again with backoff, up to
/// <see cref="PostgresLedgerOptions.MaxRetries"/> times.
/// </para>
/// <para>
/// Calls that name no user or host get <see cref="PostgresLedgerOptions.User"/> and
/// <see cref="PostgresLedgerOptions.Host"/>. File cursors are kept per host, since they are
/// positions in one machine's files; tool results record the host that wrote them; and
/// <see cref="ForgetSourcesAsync"/> forgets only what this host wrote, so <c>tally state rebuild</c>
/// on one machine never deletes a colleague's records.
/// </para>
/// <para>
/// Secrets: <see cref="Location"/> and every message this type produces carry the redacted
/// location (<c>postgres://user@host:port/db</c>), never the password; nothing is logged.
/// </para>
/// <para>An instance is thread-safe: each operation takes its own pooled connection.</para>
/// </remarks>
public sealed class PostgresLedger : ILedger
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly PostgresLedgerOptions _options;

    private PostgresLedger(PostgresLocation location, NpgsqlDataSource dataSource, PostgresLedgerOptions options)
    {
        Location = location.Redacted;
        _dataSource = dataSource;
        _options = options;
    }

    /// <summary>The redacted location, <c>postgres://user@host:port/db</c>: never the password.</summary>
    public string Location { get; }

    /// <summary>The host that owns this instance's cursors (see <see cref="PostgresLedgerOptions.Host"/>).</summary>
    public string Host => _options.Host;

    /// <inheritdoc />
    /// <value>
    /// 10,000. A commit here costs about the same per record whatever its size (the upsert's index
    /// lookups and writes; nothing is rewritten per commit as in SQLite), so small batches cost
    /// little, and they let an ingest overlap the writing with the reading: the first commit starts
    /// after a fraction of a second of reading instead of after 50,000 records, and the last one,
    /// which runs once the reading is done, is short.
    /// </value>
    public int PreferredBatchRecords => 10_000;

    /// <summary>
    /// Connects to the database, creating the schema or bringing an older one up to date
    /// (once, however many machines start at the same moment).
    /// </summary>
    /// <param name="location">A <c>postgres://</c> URL or an Npgsql connection string (see <see cref="PostgresLocation"/>).</param>
    /// <param name="options">User, host and retries; null for the defaults.</param>
    /// <param name="cancellationToken">Stops the open.</param>
    /// <exception cref="ArgumentException">The location cannot be read.</exception>
    /// <exception cref="NotSupportedException">The schema was written by a newer Tally.</exception>
    /// <exception cref="NpgsqlException">The server could not be reached (after retries) or refused the login.</exception>
    public static async Task<PostgresLedger> OpenAsync(string location, PostgresLedgerOptions? options = null, CancellationToken cancellationToken = default)
    {
        var parsed = PostgresLocation.Parse(location);
        options ??= new PostgresLedgerOptions();
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Host, nameof(options));
        var builder = new NpgsqlSlimDataSourceBuilder(parsed.ConnectionString);
        builder.EnableArrays();
        // The ledger uses only built-in types, which Npgsql knows without asking: skip reading the
        // server's type catalog, a query that every tally command would otherwise wait for when it
        // first connects.
        builder.ConfigureTypeLoading(types => types.EnableTypeLoading(false));
        var dataSource = builder.Build();
        var ledger = new PostgresLedger(parsed, dataSource, options);
        try
        {
            await ledger.RetryAsync(
                async (connection, ct) => await PostgresSchema.MigrateAsync(connection, ledger.Location, ct).ConfigureAwait(false),
                cancellationToken).ConfigureAwait(false);
            return ledger;
        }
        catch
        {
            await dataSource.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    /// <remarks>This host's cursors only.</remarks>
    public Task<IReadOnlyDictionary<string, FileCursor>> GetCursorsAsync(string source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        return RetryAsync<IReadOnlyDictionary<string, FileCursor>>(async (connection, ct) =>
        {
            await using var command = new NpgsqlCommand(
                """
                SELECT path, fingerprint, byte_offset, line, size, modified, lines_skipped, state
                FROM file_cursors WHERE host = @host AND source = @source
                """, connection);
            command.Parameters.AddWithValue("host", Host);
            command.Parameters.AddWithValue("source", source);
            var cursors = new Dictionary<string, FileCursor>(StringComparer.Ordinal);
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                var path = reader.GetString(0);
                cursors[path] = new FileCursor(
                    source, path, reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4),
                    Instant(reader, 5), reader.GetInt64(6), reader.IsDBNull(7) ? null : reader.GetString(7));
            }

            return cursors;
        }, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>One transaction; on a transient failure the whole batch runs again (see the class remarks).</remarks>
    public Task CommitAsync(IngestBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.IsEmpty)
        {
            return Task.CompletedTask;
        }

        return RetryAsync(async (connection, ct) =>
        {
            await using var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
            await PostgresBatchWriter.WriteAsync(connection, batch, (_options.User, Host), ct).ConfigureAwait(false);
            await transaction.CommitAsync(ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<UsageAggregate>> AggregateAsync(UsageQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var thresholds = query.ContextThresholds.ToArray();
        for (var i = 1; i < thresholds.Length; i++)
        {
            if (thresholds[i] < thresholds[i - 1])
            {
                throw new ArgumentException("Context thresholds must be in ascending order.", nameof(query));
            }
        }

        var (key, bucket) = query.Grouping switch
        {
            LedgerGrouping.None => ("NULL::text", "0::bigint"),
            LedgerGrouping.Session => ("session_id", "0::bigint"),
            LedgerGrouping.Project => ("coalesce(project_key, project)", "0::bigint"),
            LedgerGrouping.Source => ("source", "0::bigint"),
            LedgerGrouping.User => ("user_name", "0::bigint"),
            LedgerGrouping.Host => ("host_name", "0::bigint"),
            LedgerGrouping.QuarterHour => ("NULL::text", "floor(extract(epoch FROM ts) * 1000 / 900000)::bigint"),
            _ => throw new ArgumentOutOfRangeException(nameof(query), query.Grouping, "Unknown grouping."),
        };

        return RetryAsync<IReadOnlyList<UsageAggregate>>(async (connection, ct) =>
        {
            // The planner cannot know that a summary has a few dozen groups: it estimates hundreds
            // of thousands, sorts a million rows to disk to group them and spends a quarter-second
            // compiling the query. One pass into a hash table is several times faster; these
            // settings last for this transaction only.
            await using var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
            await using (var settings = new NpgsqlCommand("SET LOCAL jit = off; SET LOCAL enable_sort = off", connection, transaction))
            {
                await settings.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            await using var command = new NpgsqlCommand { Connection = connection, Transaction = transaction };
            // The band is how many thresholds lie below the context, written out as a sum of
            // comparisons with the thresholds as literals (integers, so nothing to escape):
            // width_bucket over an array parameter doubled the time of a million-call summary.
            var band = thresholds.Length == 0
                ? "0"
                : string.Join(" + ", thresholds.Select(t => $"(context_tokens > {t.ToString(CultureInfo.InvariantCulture)})::int"));
            command.CommandText = $"""
                SELECT {key}, {bucket}, source, model, provider,
                       {band},
                       stop_reason, reported_cost IS NOT NULL,
                       count(*), sum(input)::bigint, sum(cache_read)::bigint, sum(cache_write_5m)::bigint,
                       sum(cache_write_1h)::bigint, sum(output)::bigint, sum(reasoning)::bigint, sum(reported_cost)
                FROM calls
                {PostgresFilter.Where(command.Parameters, query.Filter)}
                GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
                """;
            var rows = new List<UsageAggregate>();
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                var hasCost = reader.GetBoolean(7);
                rows.Add(new UsageAggregate(
                    NullableText(reader, 0),
                    reader.GetInt64(1),
                    reader.GetString(2),
                    reader.GetString(3),
                    NullableText(reader, 4),
                    reader.GetInt32(5),
                    (StopReason)reader.GetInt16(6),
                    hasCost,
                    reader.GetInt64(8),
                    new TokenUsage(Count(reader, 9), Count(reader, 10), Count(reader, 11), Count(reader, 12), Count(reader, 13), Count(reader, 14)),
                    hasCost ? Normalize(reader.GetDecimal(15)) : null));
            }

            await reader.DisposeAsync().ConfigureAwait(false);
            await transaction.CommitAsync(ct).ConfigureAwait(false);
            return rows;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<SessionSpan>> GetSessionSpansAsync(CallFilter filter, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        return RetryAsync<IReadOnlyList<SessionSpan>>(async (connection, ct) =>
        {
            await using var command = new NpgsqlCommand { Connection = connection };
            command.CommandText = $"""
                SELECT source, session_id, max(coalesce(project_key, project)), min(ts), max(ts), max(parent_session_id)
                FROM calls
                {PostgresFilter.Where(command.Parameters, filter)}
                GROUP BY source, session_id
                """;
            var spans = new List<SessionSpan>();
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                spans.Add(new SessionSpan(
                    reader.GetString(0), reader.GetString(1), NullableText(reader, 2), Instant(reader, 3), Instant(reader, 4), NullableText(reader, 5)));
            }

            return spans;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<LlmCall> ReadCallsAsync(CallFilter filter, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        // Read whole, then hand out: a retry after a lost connection must not repeat rows already yielded.
        var calls = await RetryAsync(async (connection, ct) =>
        {
            await using var command = new NpgsqlCommand { Connection = connection };
            command.CommandText = $"""
                SELECT source, call_key, key_kind, session_id, ts, model, provider,
                       input, cache_read, cache_write_5m, cache_write_1h, output, reasoning,
                       stop_reason, stop_reason_raw, project, project_key, request_id, agent, is_sidechain,
                       duration_ms, reported_cost, user_name, host_name, parent_session_id, error_type, tags, run_turns
                FROM calls
                {PostgresFilter.Where(command.Parameters, filter)}
                """;
            var calls = new List<LlmCall>();
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                calls.Add(new LlmCall
                {
                    Source = reader.GetString(0),
                    CallKey = reader.GetString(1),
                    KeyKind = (KeyKind)reader.GetInt16(2),
                    SessionId = reader.GetString(3),
                    Timestamp = Instant(reader, 4),
                    Model = reader.GetString(5),
                    Provider = NullableText(reader, 6),
                    Usage = new TokenUsage(Count(reader, 7), Count(reader, 8), Count(reader, 9), Count(reader, 10), Count(reader, 11), Count(reader, 12)),
                    StopReason = (StopReason)reader.GetInt16(13),
                    StopReasonRaw = NullableText(reader, 14),
                    Project = NullableText(reader, 15),
                    ProjectKey = NullableText(reader, 16),
                    RequestId = NullableText(reader, 17),
                    Agent = NullableText(reader, 18),
                    IsSidechain = reader.GetBoolean(19),
                    DurationMs = Count(reader, 20),
                    ReportedCost = reader.IsDBNull(21) ? null : Normalize(reader.GetDecimal(21)),
                    User = NullableText(reader, 22),
                    Host = NullableText(reader, 23),
                    ParentSessionId = NullableText(reader, 24),
                    ErrorType = NullableText(reader, 25),
                    Tags = reader.IsDBNull(26) ? null : TagsJson.Read(Encoding.UTF8.GetBytes(reader.GetString(26))),
                    RunTurns = reader.IsDBNull(27) ? null : reader.GetInt32(27),
                });
            }

            return calls;
        }, cancellationToken).ConfigureAwait(false);

        foreach (var call in calls)
        {
            yield return call;
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ToolResult> ReadToolResultsAsync(CallFilter filter, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var results = await RetryAsync(async (connection, ct) =>
        {
            await using var command = new NpgsqlCommand { Connection = connection };
            // Inside the subquery, unqualified columns are the call's: the filter applies to the call.
            var conditions = PostgresFilter.Conditions(command.Parameters, filter);
            var callConditions = string.Concat(conditions.Select(c => "\n  AND " + c));
            command.CommandText = $"""
                SELECT t.source, t.tool_use_id, t.session_id, t.call_key, t.name, t.target, t.ts,
                       t.output_bytes, t.truncated, t.is_error, t.consumer_call_key
                FROM tool_results AS t
                WHERE t.call_key IS NOT NULL
                  AND EXISTS (SELECT 1 FROM calls WHERE source = t.source AND call_key = t.call_key{callConditions})
                """;
            var results = new List<ToolResult>();
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                results.Add(new ToolResult
                {
                    Source = reader.GetString(0),
                    ToolUseId = reader.GetString(1),
                    SessionId = reader.GetString(2),
                    CallKey = NullableText(reader, 3),
                    Name = NullableText(reader, 4),
                    Target = NullableText(reader, 5),
                    Timestamp = reader.IsDBNull(6) ? null : Instant(reader, 6),
                    OutputBytes = Count(reader, 7),
                    Truncated = reader.IsDBNull(8) ? null : reader.GetBoolean(8),
                    IsError = reader.IsDBNull(9) ? null : reader.GetBoolean(9),
                    ConsumerCallKey = NullableText(reader, 10),
                });
            }

            return results;
        }, cancellationToken).ConfigureAwait(false);

        foreach (var result in results)
        {
            yield return result;
        }
    }

    /// <inheritdoc />
    /// <remarks>Only what this host wrote: its calls, its tool results and its cursors.</remarks>
    public Task ForgetSourcesAsync(IReadOnlyList<string> sources, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sources);
        return RetryAsync(async (connection, ct) =>
        {
            await using var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
            await using var command = new NpgsqlCommand(
                """
                DELETE FROM calls WHERE source = ANY(@sources) AND host_name = @host;
                DELETE FROM tool_results WHERE source = ANY(@sources) AND host_name = @host;
                DELETE FROM file_cursors WHERE source = ANY(@sources) AND host = @host;
                """, connection, transaction);
            command.Parameters.AddWithValue("sources", sources.ToArray());
            command.Parameters.AddWithValue("host", Host);
            await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            await transaction.CommitAsync(ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>Calls and tool results of every host; files tracked and lines skipped of this host.</remarks>
    public Task<LedgerStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default) =>
        RetryAsync(async (connection, ct) =>
        {
            // One snapshot, so the counts agree with each other while other machines commit.
            await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct).ConfigureAwait(false);
            var callsBySource = new Dictionary<string, long>(StringComparer.Ordinal);
            await using (var command = new NpgsqlCommand("SELECT source, count(*) FROM calls GROUP BY source", connection, transaction))
            await using (var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    callsBySource[reader.GetString(0)] = reader.GetInt64(1);
                }
            }

            long toolResults;
            await using (var command = new NpgsqlCommand("SELECT count(*) FROM tool_results", connection, transaction))
            {
                toolResults = (long)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
            }

            long files;
            long linesSkipped;
            await using (var command = new NpgsqlCommand(
                "SELECT count(*), coalesce(sum(lines_skipped), 0)::bigint FROM file_cursors WHERE host = @host", connection, transaction))
            {
                command.Parameters.AddWithValue("host", Host);
                await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                await reader.ReadAsync(ct).ConfigureAwait(false);
                files = reader.GetInt64(0);
                linesSkipped = reader.GetInt64(1);
            }

            var version = await PostgresSchema.ReadVersionAsync(connection, transaction, ct).ConfigureAwait(false);
            await transaction.CommitAsync(ct).ConfigureAwait(false);
            return new LedgerStatistics(Location, version, callsBySource, toolResults, files, linesSkipped);
        }, cancellationToken);

    /// <summary>Closes the pool's connections.</summary>
    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    /// <summary>
    /// Runs an operation on a fresh pooled connection; a transient failure clears the pool (its
    /// other connections may be dead too) and runs it again after a backoff.
    /// </summary>
    private async Task<T> RetryAsync<T>(Func<NpgsqlConnection, CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
    {
        var delay = _options.FirstRetryDelay;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                return await operation(connection, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (attempt < _options.MaxRetries && !cancellationToken.IsCancellationRequested && TransientFailures.IsTransient(e))
            {
                _dataSource.Clear();
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay *= 2;
            }
        }
    }

    private static DateTimeOffset Instant(NpgsqlDataReader reader, int column) =>
        new(DateTime.SpecifyKind(reader.GetDateTime(column), DateTimeKind.Utc));

    private static string? NullableText(NpgsqlDataReader reader, int column) => reader.IsDBNull(column) ? null : reader.GetString(column);

    private static long? Count(NpgsqlDataReader reader, int column) => reader.IsDBNull(column) ? null : reader.GetInt64(column);

    /// <summary>Drops trailing zeros (0.300000000 → 0.3), so amounts read back print as the SQLite ledger's do.</summary>
    private static decimal Normalize(decimal value) => value / 1.000000000000000000000000000000000m;
}
