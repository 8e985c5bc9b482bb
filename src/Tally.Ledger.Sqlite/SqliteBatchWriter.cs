using Microsoft.Data.Sqlite;
using Tally.Model;

namespace Tally.Ledger.Sqlite;

/// <summary>
/// The three upserts of a commit, each compiled once per connection and re-bound for every row.
/// Each table is described once, as a list of columns with the rule that merges a new value into
/// a stored row; the SQL is generated from that list, so a column and its rule cannot drift apart.
/// </summary>
/// <remarks>Not thread-safe; <see cref="SqliteLedger"/> serialises access.</remarks>
internal sealed class SqliteBatchWriter : IDisposable
{
    /// <summary>How often a long batch looks at its cancellation token.</summary>
    private const int RowsBetweenCancellationChecks = 1024;

    private static readonly Column<LlmCall>[] CallColumns =
    [
        new("source", Rule.Key, c => c.Source),
        new("call_key", Rule.Key, c => c.CallKey),
        new("key_kind", Rule.MostComplete, c => (long)c.KeyKind),
        new("model", Rule.MostComplete, c => c.Model),
        new("provider", Rule.MostComplete, c => c.Provider),
        new("input", Rule.MostComplete, c => c.Usage.Input),
        new("cache_read", Rule.MostComplete, c => c.Usage.CacheRead),
        new("cache_write_5m", Rule.MostComplete, c => c.Usage.CacheWrite5m),
        new("cache_write_1h", Rule.MostComplete, c => c.Usage.CacheWrite1h),
        new("output", Rule.MostComplete, c => c.Usage.Output),
        new("reasoning", Rule.MostComplete, c => c.Usage.Reasoning),
        new("stop_reason", Rule.MostComplete, c => (long)c.StopReason),
        new("stop_reason_raw", Rule.MostComplete, c => c.StopReasonRaw),
        new("request_id", Rule.MostComplete, c => c.RequestId),
        new("duration_ms", Rule.MostComplete, c => c.DurationMs),
        new("reported_cost_nanos", Rule.MostComplete, c => c.ReportedCost is { } cost ? NanoDollars.FromDollars(cost) : SqlValue.Null),
        new("error_type", Rule.MostComplete, c => c.ErrorType),
        new("tags", Rule.MostComplete, c => TagsJson.Write(c.Tags)),
        new("run_turns", Rule.MostComplete, c => (long?)c.RunTurns),
        new("completeness", Rule.MostComplete, c => c.Completeness),
        new("session_id", Rule.Earliest, c => c.SessionId),
        new("project", Rule.Earliest, c => c.Project),
        new("project_key", Rule.Earliest, c => c.ProjectKey),
        new("agent", Rule.Earliest, c => c.Agent),
        new("parent_session_id", Rule.Earliest, c => c.ParentSessionId),
        new("is_sidechain", Rule.Earliest, c => c.IsSidechain),
        new("user_name", Rule.Earliest, c => c.User),
        new("host_name", Rule.Earliest, c => c.Host),
        new("ts_ms", Rule.Earliest, c => c.Timestamp.ToUnixTimeMilliseconds()),
    ];

    private static readonly Column<ToolResult>[] ToolColumns =
    [
        new("source", Rule.Key, t => t.Source),
        new("tool_use_id", Rule.Key, t => t.ToolUseId),
        new("session_id", Rule.FirstSeen, t => t.SessionId),
        new("call_key", Rule.FirstSeen, t => t.CallKey),
        new("name", Rule.FirstSeen, t => t.Name),
        new("target", Rule.FirstSeen, t => t.Target),
        new("ts_ms", Rule.FirstSeen, t => t.Timestamp is { } at ? at.ToUnixTimeMilliseconds() : SqlValue.Null),
        new("output_bytes", Rule.FirstSeen, t => t.OutputBytes),
        new("truncated", Rule.FirstSeen, t => t.Truncated),
        new("is_error", Rule.FirstSeen, t => t.IsError),
        new("consumer_call_key", Rule.FirstSeen, t => t.ConsumerCallKey),
    ];

    private static readonly Column<FileCursor>[] CursorColumns =
    [
        new("source", Rule.Key, f => f.Source),
        new("path", Rule.Key, f => f.Path),
        new("fingerprint", Rule.Latest, f => f.Fingerprint),
        new("byte_offset", Rule.Latest, f => f.Offset),
        new("line", Rule.Latest, f => f.Line),
        new("size", Rule.Latest, f => f.Size),
        new("modified_ms", Rule.Latest, f => f.ModifiedUtc.ToUnixTimeMilliseconds()),
        new("lines_skipped", Rule.Latest, f => f.LinesSkipped),
        new("state", Rule.Latest, f => f.State),
    ];

    private readonly Upsert<LlmCall> _calls;
    private readonly Upsert<ToolResult> _tools;
    private readonly Upsert<FileCursor> _cursors;

    public SqliteBatchWriter(SqliteConnection connection)
    {
        _calls = new Upsert<LlmCall>(connection, "calls", CallColumns);
        _tools = new Upsert<ToolResult>(connection, "tool_results", ToolColumns);
        _cursors = new Upsert<FileCursor>(connection, "file_cursors", CursorColumns);
    }

    /// <summary>Writes every row of the batch in the connection's open transaction; the caller commits.</summary>
    public void Write(IngestBatch batch, CancellationToken cancellationToken)
    {
        _calls.Write(batch.Calls, cancellationToken);
        _tools.Write(batch.ToolResults, cancellationToken);
        _cursors.Write(batch.Cursors, cancellationToken);
    }

    public void Dispose()
    {
        _calls.Dispose();
        _tools.Dispose();
        _cursors.Dispose();
    }

    /// <summary>What happens to a column when the row already exists.</summary>
    private enum Rule
    {
        /// <summary>Part of the identity.</summary>
        Key,
        /// <summary>
        /// Taken from the observation with the higher <see cref="LlmCall.Completeness"/> (ties keep
        /// the stored row): what the provider reported is overwritten, never summed.
        /// </summary>
        MostComplete,
        /// <summary>
        /// Taken from the earliest sighting (ties go to the smaller session id): where the call was made,
        /// because resumed, forked and subagent files replay calls from the session that made them.
        /// </summary>
        Earliest,
        /// <summary>
        /// The first non-null value wins: a tool request and its result are usually read at
        /// different times, so a later half only fills gaps.
        /// </summary>
        FirstSeen,
        /// <summary>Replaced by the newer row.</summary>
        Latest,
    }

    /// <summary>A column, its merge rule and how a record supplies its value.</summary>
    private sealed record Column<T>(string Name, Rule Rule, Func<T, SqlValue> Value);

    /// <summary>One prepared upsert and its parameters, in column order.</summary>
    private sealed class Upsert<T> : IDisposable
    {
        private readonly PreparedStatement _statement;
        private readonly Column<T>[] _columns;

        public Upsert(SqliteConnection connection, string table, Column<T>[] columns)
        {
            _columns = columns;
            _statement = new PreparedStatement(connection, Sql(table, columns));
        }

        public void Write(List<T> rows, CancellationToken cancellationToken)
        {
            var i = 0;
            foreach (var row in rows)
            {
                if (++i % RowsBetweenCancellationChecks == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }

                for (var c = 0; c < _columns.Length; c++)
                {
                    _statement.Bind(c + 1, _columns[c].Value(row));
                }

                _statement.Execute();
            }
        }

        public void Dispose() => _statement.Dispose();

        private static string? ReplacesWhen(Rule rule, string table) => rule switch
        {
            Rule.MostComplete => $"excluded.completeness > {table}.completeness",
            // A resumed session's copy of a call carries the original's timestamp; breaking the tie
            // on the session id makes the result independent of the order files are read in.
            Rule.Earliest => $"(excluded.ts_ms < {table}.ts_ms OR (excluded.ts_ms = {table}.ts_ms AND excluded.session_id < {table}.session_id))",
            _ => null,
        };

        private static string Sql(string table, Column<T>[] columns)
        {
            var keys = columns.Where(c => c.Rule == Rule.Key).Select(c => c.Name);
            var values = columns.Where(c => c.Rule != Rule.Key).ToList();
            var updates = values.Select(c => c.Rule switch
            {
                Rule.FirstSeen => $"{c.Name} = coalesce({table}.{c.Name}, excluded.{c.Name})",
                Rule.Latest => $"{c.Name} = excluded.{c.Name}",
                _ => $"{c.Name} = iif({ReplacesWhen(c.Rule, table)}, excluded.{c.Name}, {table}.{c.Name})",
            });

            // When every column has a replace condition, a row that meets none of them would not
            // change; skipping it keeps a re-read of old files from rewriting pages.
            var conditions = values.Select(c => ReplacesWhen(c.Rule, table)).Distinct().ToList();
            var where = conditions.Contains(null) ? "" : $"\nWHERE {string.Join(" OR ", conditions)}";

            return $"""
                INSERT INTO {table} ({string.Join(", ", columns.Select(c => c.Name))})
                VALUES ({string.Join(", ", columns.Select(_ => "?"))})
                ON CONFLICT ({string.Join(", ", keys)}) DO UPDATE SET
                {string.Join(",\n", updates)}{where}
                """;
        }
    }
}
