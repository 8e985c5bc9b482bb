using Npgsql;
using Tally.Model;

namespace Tally.Ledger.Postgres;

/// <summary>
/// Writes one batch inside an open transaction: each table's rows are folded by identity
/// (<see cref="BatchMerge"/>), sent with binary <c>COPY</c> into a temporary table, then merged
/// into the table with one <c>INSERT ... ON CONFLICT ... DO UPDATE</c> whose rules are those of the
/// SQLite ledger. Each table is described once, as a list of columns with their type and merge
/// rule; the SQL is generated from that list, so a column and its rule cannot drift apart.
/// </summary>
/// <remarks>
/// The client's work and the server's overlap instead of taking turns: each table's rows are
/// folded while the server merges the table before, and encoded a chunk at a time while the server
/// reads the chunks already sent. The server's merge of the calls is most of a batch's time.
/// </remarks>
internal static class PostgresBatchWriter
{
    private static readonly Column<LlmCall>[] CallColumns =
    [
        new("source", "text COLLATE \"C\"", Rule.Key, Text<LlmCall>(c => c.Source)),
        new("call_key", "text COLLATE \"C\"", Rule.Key, Text<LlmCall>(c => c.CallKey)),
        new("key_kind", "smallint", Rule.MostComplete, Small<LlmCall>(c => (short)c.KeyKind)),
        new("model", "text COLLATE \"C\"", Rule.MostComplete, Text<LlmCall>(c => c.Model)),
        new("provider", "text COLLATE \"C\"", Rule.MostComplete, Text<LlmCall>(c => c.Provider)),
        new("input", "bigint", Rule.MostComplete, BigInt<LlmCall>(c => c.Usage.Input)),
        new("cache_read", "bigint", Rule.MostComplete, BigInt<LlmCall>(c => c.Usage.CacheRead)),
        new("cache_write_5m", "bigint", Rule.MostComplete, BigInt<LlmCall>(c => c.Usage.CacheWrite5m)),
        new("cache_write_1h", "bigint", Rule.MostComplete, BigInt<LlmCall>(c => c.Usage.CacheWrite1h)),
        new("output", "bigint", Rule.MostComplete, BigInt<LlmCall>(c => c.Usage.Output)),
        new("reasoning", "bigint", Rule.MostComplete, BigInt<LlmCall>(c => c.Usage.Reasoning)),
        new("stop_reason", "smallint", Rule.MostComplete, Small<LlmCall>(c => (short)c.StopReason)),
        new("stop_reason_raw", "text", Rule.MostComplete, Text<LlmCall>(c => c.StopReasonRaw)),
        new("request_id", "text", Rule.MostComplete, Text<LlmCall>(c => c.RequestId)),
        new("duration_ms", "bigint", Rule.MostComplete, BigInt<LlmCall>(c => c.DurationMs)),
        new("reported_cost", "numeric(24, 9)", Rule.MostComplete, Money<LlmCall>(c => c.ReportedCost)),
        new("error_type", "text", Rule.MostComplete, Text<LlmCall>(c => c.ErrorType)),
        new("tags", "text", Rule.MostComplete, Text<LlmCall>(c => TagsJson.Write(c.Tags))),
        new("run_turns", "integer", Rule.MostComplete, Int<LlmCall>(c => c.RunTurns)),
        new("completeness", "bigint", Rule.MostComplete, BigInt<LlmCall>(c => c.Completeness)),
        new("session_id", "text COLLATE \"C\"", Rule.Earliest, Text<LlmCall>(c => c.SessionId)),
        new("project", "text COLLATE \"C\"", Rule.Earliest, Text<LlmCall>(c => c.Project)),
        new("project_key", "text COLLATE \"C\"", Rule.Earliest, Text<LlmCall>(c => c.ProjectKey)),
        new("agent", "text", Rule.Earliest, Text<LlmCall>(c => c.Agent)),
        new("parent_session_id", "text COLLATE \"C\"", Rule.Earliest, Text<LlmCall>(c => c.ParentSessionId)),
        new("is_sidechain", "boolean", Rule.Earliest, Bool<LlmCall>(c => c.IsSidechain)),
        new("user_name", "text COLLATE \"C\"", Rule.Earliest, Text<LlmCall>(c => c.User)),
        new("host_name", "text COLLATE \"C\"", Rule.Earliest, Text<LlmCall>(c => c.Host)),
        new("ts", "timestamptz", Rule.Earliest, Time<LlmCall>(c => c.Timestamp)),
    ];

    private static readonly Column<ToolResult>[] ToolColumns =
    [
        new("source", "text COLLATE \"C\"", Rule.Key, Text<ToolResult>(t => t.Source)),
        new("tool_use_id", "text COLLATE \"C\"", Rule.Key, Text<ToolResult>(t => t.ToolUseId)),
        new("session_id", "text COLLATE \"C\"", Rule.FirstSeen, Text<ToolResult>(t => t.SessionId)),
        new("call_key", "text COLLATE \"C\"", Rule.FirstSeen, Text<ToolResult>(t => t.CallKey)),
        new("name", "text", Rule.FirstSeen, Text<ToolResult>(t => t.Name)),
        new("target", "text", Rule.FirstSeen, Text<ToolResult>(t => t.Target)),
        new("ts", "timestamptz", Rule.FirstSeen, Time<ToolResult>(t => t.Timestamp)),
        new("output_bytes", "bigint", Rule.FirstSeen, BigInt<ToolResult>(t => t.OutputBytes)),
        new("truncated", "boolean", Rule.FirstSeen, Bool<ToolResult>(t => t.Truncated)),
        new("is_error", "boolean", Rule.FirstSeen, Bool<ToolResult>(t => t.IsError)),
        new("consumer_call_key", "text COLLATE \"C\"", Rule.FirstSeen, Text<ToolResult>(t => t.ConsumerCallKey)),
    ];

    private static readonly Column<FileCursor>[] CursorColumns =
    [
        new("source", "text COLLATE \"C\"", Rule.Key, Text<FileCursor>(f => f.Source)),
        new("path", "text COLLATE \"C\"", Rule.Key, Text<FileCursor>(f => f.Path)),
        new("fingerprint", "text", Rule.Latest, Text<FileCursor>(f => f.Fingerprint)),
        new("byte_offset", "bigint", Rule.Latest, BigInt<FileCursor>(f => f.Offset)),
        new("line", "bigint", Rule.Latest, BigInt<FileCursor>(f => f.Line)),
        new("size", "bigint", Rule.Latest, BigInt<FileCursor>(f => f.Size)),
        new("modified", "timestamptz", Rule.Latest, Time<FileCursor>(f => f.ModifiedUtc)),
        new("lines_skipped", "bigint", Rule.Latest, BigInt<FileCursor>(f => f.LinesSkipped)),
        new("state", "text", Rule.Latest, Text<FileCursor>(f => f.State)),
    ];

    /// <summary>How much encoded COPY data is sent at a time.</summary>
    private const int ChunkBytes = 64 * 1024;

    private static readonly Table<LlmCall> Calls = new("calls", CallColumns, Stamped: null, StampedIsKey: false);
    private static readonly Table<ToolResult> Tools = new("tool_results", ToolColumns, Stamped: "host_name", StampedIsKey: false);
    private static readonly Table<FileCursor> Cursors = new("file_cursors", CursorColumns, Stamped: "host", StampedIsKey: true);

    /// <summary>Writes the batch in the connection's open transaction; the caller commits.</summary>
    /// <param name="connection">An open connection with a transaction in progress.</param>
    /// <param name="batch">What to write.</param>
    /// <param name="origin">The user and host stamped on calls that carry none, and the host that owns the cursors and tool results.</param>
    /// <param name="cancellationToken">Cancels the statement in flight; the caller's transaction then rolls back.</param>
    public static async Task WriteAsync(NpgsqlConnection connection, IngestBatch batch, (string? User, string Host) origin, CancellationToken cancellationToken)
    {
        // One round trip sets the transaction up while the calls are folded.
        await using var setup = new NpgsqlBatch(connection);
        if (batch.Cursors.Count > 0)
        {
            // An ingest batch carries the cursors of the files its records came from, in this same
            // transaction, so it need not wait for the commit to reach the disk: a server crash just
            // after the commit loses the records and their cursors together, and the next ingest
            // reads those lines again (the upserts make that safe). A batch without cursors (a push,
            // the SDK's records) may have no other copy to be read again from, so it waits as usual.
            setup.BatchCommands.Add(new NpgsqlBatchCommand("SET LOCAL synchronous_commit = off"));
        }

        foreach (var (create, rows) in new[] { (Calls.Create, batch.Calls.Count), (Tools.Create, batch.ToolResults.Count), (Cursors.Create, batch.Cursors.Count) })
        {
            if (rows > 0)
            {
                setup.BatchCommands.Add(new NpgsqlBatchCommand(create));
            }
        }

        var calls = await WhileAsync(setup.ExecuteNonQueryAsync(cancellationToken), () => BatchMerge.Calls(batch.Calls.Select(
            c => c.User is null || c.Host is null ? c with { User = c.User ?? origin.User, Host = c.Host ?? origin.Host } : c))).ConfigureAwait(false);
        var writing = Calls.WriteAsync(connection, calls, null, cancellationToken);
        var tools = await WhileAsync(writing, () => BatchMerge.ToolResults(batch.ToolResults)).ConfigureAwait(false);
        writing = Tools.WriteAsync(connection, tools, origin.Host, cancellationToken);
        var cursors = await WhileAsync(writing, () => BatchMerge.Cursors(batch.Cursors)).ConfigureAwait(false);
        await Cursors.WriteAsync(connection, cursors, origin.Host, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Does <paramref name="work"/> (folding the next table's rows) while <paramref name="inFlight"/>
    /// (the previous statement) runs on the connection, then waits for it. The connection is never
    /// left with a statement in flight, even when the work fails.
    /// </summary>
    private static async Task<T> WhileAsync<T>(Task inFlight, Func<T> work)
    {
        T result;
        try
        {
            result = work();
        }
        catch
        {
            await inFlight.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            throw;
        }

        await inFlight.ConfigureAwait(false);
        return result;
    }

    /// <summary>What happens to a column when the row already exists (the SQLite ledger's rules).</summary>
    private enum Rule
    {
        /// <summary>Part of the identity.</summary>
        Key,
        /// <summary>From the observation with the higher completeness; ties keep the stored row.</summary>
        MostComplete,
        /// <summary>From the earliest sighting; ties on time go to the smaller session id, then keep the stored row.</summary>
        Earliest,
        /// <summary>The first non-null value wins.</summary>
        FirstSeen,
        /// <summary>Replaced by the newer row.</summary>
        Latest,
    }

    /// <summary>A column, its SQL type, its merge rule and how a record writes its value into a binary COPY.</summary>
    private sealed record Column<T>(string Name, string Type, Rule Rule, Action<BinaryCopyRows, T> Write);

    /// <summary>
    /// One table's upsert. <paramref name="Stamped"/> names a column the ledger fills itself with the
    /// writing host rather than from the record (null for none): part of the identity when
    /// <paramref name="StampedIsKey"/> (cursors are per host), else kept from the first writer.
    /// </summary>
    private sealed record Table<T>(string Name, Column<T>[] Columns, string? Stamped, bool StampedIsKey)
    {
        private readonly string _copy = CopySql(Name, Columns);
        private readonly string _merge = MergeSql(Name, Columns, Stamped, StampedIsKey);

        /// <summary>Creates the temporary table the rows are copied into; it is dropped at commit.</summary>
        public string Create { get; } = CreateSql(Name, Columns);

        /// <summary>
        /// Copies the rows into the temporary table (made by <see cref="Create"/>) and merges them
        /// into the table. The rows are encoded a chunk at a time and each chunk sent as it fills,
        /// so the server reads one chunk while the next is encoded.
        /// </summary>
        public async Task WriteAsync(NpgsqlConnection connection, List<T> rows, string? stamp, CancellationToken cancellationToken)
        {
            if (rows.Count == 0)
            {
                return;
            }

            await using (var copy = await connection.BeginRawBinaryCopyAsync(_copy, cancellationToken).ConfigureAwait(false))
            {
                using var chunk = new BinaryCopyRows(2 * ChunkBytes);
                foreach (var row in rows)
                {
                    chunk.StartRow(Columns.Length);
                    foreach (var column in Columns)
                    {
                        column.Write(chunk, row);
                    }

                    if (chunk.Length >= ChunkBytes)
                    {
                        await copy.WriteAsync(chunk.Data, cancellationToken).ConfigureAwait(false);
                        chunk.Clear();
                    }
                }

                chunk.Complete();
                await copy.WriteAsync(chunk.Data, cancellationToken).ConfigureAwait(false);
            }

            await using var merge = new NpgsqlCommand(_merge, connection);
            if (Stamped is not null)
            {
                merge.Parameters.AddWithValue("stamp", stamp!);
            }

            await merge.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        private static string Incoming(string table) => "incoming_" + table;

        private static string CreateSql(string table, Column<T>[] columns) => $"""
            CREATE TEMP TABLE {Incoming(table)} ({string.Join(", ", columns.Select(c => $"{c.Name} {c.Type}"))}) ON COMMIT DROP
            """;

        private static string CopySql(string table, Column<T>[] columns) =>
            $"COPY {Incoming(table)} ({string.Join(", ", columns.Select(c => c.Name))}) FROM STDIN (FORMAT BINARY)";

        private static string? ReplacesWhen(Rule rule, string table) => rule switch
        {
            Rule.MostComplete => $"excluded.completeness > {table}.completeness",
            Rule.Earliest => $"(excluded.ts < {table}.ts OR (excluded.ts = {table}.ts AND excluded.session_id < {table}.session_id))",
            _ => null,
        };

        private static string MergeSql(string table, Column<T>[] columns, string? stamped, bool stampedIsKey)
        {
            var keys = columns.Where(c => c.Rule == Rule.Key).Select(c => c.Name).ToList();
            var values = columns.Where(c => c.Rule != Rule.Key).ToList();
            var updates = values.Select(c => c.Rule switch
            {
                Rule.FirstSeen => $"{c.Name} = coalesce({table}.{c.Name}, excluded.{c.Name})",
                Rule.Latest => $"{c.Name} = excluded.{c.Name}",
                _ => $"{c.Name} = CASE WHEN {ReplacesWhen(c.Rule, table)} THEN excluded.{c.Name} ELSE {table}.{c.Name} END",
            }).ToList();
            if (stamped is not null && !stampedIsKey)
            {
                updates.Add($"{stamped} = coalesce({table}.{stamped}, excluded.{stamped})");
            }

            // A row that meets none of the conditions would not change: skip its write (a new row
            // version and an entry in every index). A first-seen column changes only where the stored
            // value is null and the new one is not.
            var firstSeen = values.Where(c => c.Rule == Rule.FirstSeen).Select(c => c.Name);
            if (stamped is not null && !stampedIsKey)
            {
                firstSeen = firstSeen.Append(stamped);
            }

            var conditions = values.Where(c => c.Rule != Rule.FirstSeen).Select(c => ReplacesWhen(c.Rule, table))
                .Concat(firstSeen.Select(name => $"({table}.{name} IS NULL AND excluded.{name} IS NOT NULL)"))
                .Distinct().ToList();
            var where = conditions.Contains(null) ? "" : $"\nWHERE {string.Join(" OR ", conditions)}";
            var names = columns.Select(c => c.Name).ToList();
            var target = stamped is null ? names : [stamped, .. names];
            var source = stamped is null ? names : ["@stamp", .. names];
            var conflict = stampedIsKey ? [stamped!, .. keys] : keys;

            // Rows go in key order, so writers that overlap lock rows in the same order and never deadlock.
            return $"""
                INSERT INTO {table} ({string.Join(", ", target)})
                SELECT {string.Join(", ", source)} FROM {Incoming(table)} ORDER BY {string.Join(", ", keys)}
                ON CONFLICT ({string.Join(", ", conflict)}) DO UPDATE SET
                {string.Join(",\n", updates)}{where}
                """;
        }
    }

    private static Action<BinaryCopyRows, T> Text<T>(Func<T, string?> value) => (w, row) => w.Text(value(row));

    private static Action<BinaryCopyRows, T> BigInt<T>(Func<T, long?> value) => (w, row) => w.Int64(value(row));

    private static Action<BinaryCopyRows, T> Int<T>(Func<T, int?> value) => (w, row) => w.Int32(value(row));

    private static Action<BinaryCopyRows, T> Small<T>(Func<T, short> value) => (w, row) => w.Int16(value(row));

    private static Action<BinaryCopyRows, T> Bool<T>(Func<T, bool?> value) => (w, row) => w.Boolean(value(row));

    /// <summary>Rounded to nine places (halves away from zero), as the SQLite ledger keeps nano-dollars.</summary>
    private static Action<BinaryCopyRows, T> Money<T>(Func<T, decimal?> value) => (w, row) => w.Numeric(value(row));

    /// <summary>Kept to the millisecond, as the SQLite ledger keeps times, so both compare and group alike.</summary>
    private static Action<BinaryCopyRows, T> Time<T>(Func<T, DateTimeOffset?> value) => (w, row) => w.Timestamp(value(row));
}
