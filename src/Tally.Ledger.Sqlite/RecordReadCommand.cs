using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Tally.Model;

namespace Tally.Ledger.Sqlite;

/// <summary>
/// Reads calls and tool results back as records, for the reports that need them one by one
/// (hotspots, billing blocks). One scan each, on the native statement path that
/// <see cref="UsageAggregateCommand"/> uses; values that repeat from row to row (sources, models,
/// sessions, projects, tool names) are decoded once and shared.
/// </summary>
internal static class RecordReadCommand
{
    /// <summary>The calls the filter selects, in table order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static List<LlmCall> ReadCalls(SqliteConnection connection, CallFilter filter)
    {
        var parameters = new List<(string Name, SqlValue Value)>();
        var sql = $"""
            SELECT source, call_key, key_kind, session_id, ts_ms, model, provider,
                   coalesce(input, -1), coalesce(cache_read, -1), coalesce(cache_write_5m, -1),
                   coalesce(cache_write_1h, -1), coalesce(output, -1), coalesce(reasoning, -1),
                   stop_reason, stop_reason_raw, project, project_key, request_id, agent, is_sidechain,
                   coalesce(duration_ms, -1), coalesce(reported_cost_nanos, -1), user_name, host_name, parent_session_id,
                   error_type, tags, run_turns
            FROM calls
            {UsageAggregateCommand.Where(parameters, filter)}
            """;
        using var statement = Prepare(connection, sql, parameters);
        var texts = new Utf8Interner();
        var calls = new List<LlmCall>();
        while (statement.Step())
        {
            calls.Add(new LlmCall
            {
                Source = Shared(statement, texts, 0)!,
                CallKey = Encoding.UTF8.GetString(statement.Utf8(1)),
                KeyKind = (KeyKind)statement.Int64(2),
                SessionId = Shared(statement, texts, 3)!,
                Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(statement.Int64(4)),
                Model = Shared(statement, texts, 5)!,
                Provider = Shared(statement, texts, 6),
                Usage = new TokenUsage(
                    Count(statement, 7), Count(statement, 8), Count(statement, 9),
                    Count(statement, 10), Count(statement, 11), Count(statement, 12)),
                StopReason = (StopReason)statement.Int64(13),
                StopReasonRaw = Shared(statement, texts, 14),
                Project = Shared(statement, texts, 15),
                ProjectKey = Shared(statement, texts, 16),
                RequestId = Unique(statement, 17),
                Agent = Shared(statement, texts, 18),
                IsSidechain = statement.Int64(19) != 0,
                DurationMs = Count(statement, 20),
                ReportedCost = Count(statement, 21) is { } nanos ? NanoDollars.ToDollars(nanos) : null,
                User = Shared(statement, texts, 22),
                Host = Shared(statement, texts, 23),
                ParentSessionId = Shared(statement, texts, 24),
                ErrorType = Shared(statement, texts, 25),
                Tags = statement.IsNull(26) ? null : TagsJson.Read(statement.Utf8(26)),
                RunTurns = statement.NullableInt64(27) is { } turns ? (int)turns : null,
            });
        }

        return calls;
    }

    /// <summary>The tool results whose requesting call the filter selects, in table order.</summary>
    /// <remarks>
    /// The requesting calls' keys are gathered first and results matched against them in memory:
    /// a hash lookup per result instead of a b-tree search of <c>calls</c> per result, which
    /// halves the time of the read.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static List<ToolResult> ReadToolResults(SqliteConnection connection, CallFilter filter)
    {
        var texts = new Utf8Interner();
        var requesters = RequestingCallKeys(connection, filter, texts);
        using var statement = new PreparedStatement(connection, """
            SELECT source, tool_use_id, session_id, call_key, name, target, ts_ms,
                   output_bytes, truncated, is_error, consumer_call_key
            FROM tool_results
            WHERE call_key IS NOT NULL
            """);
        var results = new List<ToolResult>();
        Span<char> chars = stackalloc char[256];
        while (statement.Step())
        {
            var source = texts.Id(statement.Utf8(0));
            if (source >= requesters.Count || requesters[source] is not { } keys
                || CallKey(keys, statement.Utf8(3), ref chars) is not { } callKey)
            {
                continue;
            }

            results.Add(new ToolResult
            {
                Source = texts.Text(source),
                ToolUseId = Encoding.UTF8.GetString(statement.Utf8(1)),
                SessionId = Shared(statement, texts, 2)!,
                CallKey = callKey,
                Name = Shared(statement, texts, 4),
                Target = Unique(statement, 5),
                Timestamp = statement.NullableInt64(6) is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null,
                OutputBytes = statement.NullableInt64(7),
                Truncated = statement.NullableInt64(8) is { } truncated ? truncated != 0 : null,
                IsError = statement.NullableInt64(9) is { } error ? error != 0 : null,
                // The reading call is nearly always a stored call too: share its key's string.
                ConsumerCallKey = statement.IsNull(10) ? null : CallKey(keys, statement.Utf8(10), ref chars) ?? Unique(statement, 10),
            });
        }

        return results;
    }

    // The keys of the calls the filter selects, per source (indexed by the source's interned id),
    // each as a string that every result of the call shares.
    private static List<HashSet<string>.AlternateLookup<ReadOnlySpan<char>>?> RequestingCallKeys(
        SqliteConnection connection, CallFilter filter, Utf8Interner texts)
    {
        var parameters = new List<(string Name, SqlValue Value)>();
        using var statement = Prepare(connection, $"SELECT source, call_key FROM calls {UsageAggregateCommand.Where(parameters, filter)}", parameters);
        var bySource = new List<HashSet<string>.AlternateLookup<ReadOnlySpan<char>>?>();
        while (statement.Step())
        {
            var source = texts.Id(statement.Utf8(0));
            while (bySource.Count <= source)
            {
                bySource.Add(null);
            }

            var keys = bySource[source] ??= new HashSet<string>(StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();
            keys.Set.Add(Encoding.UTF8.GetString(statement.Utf8(1)));
        }

        return bySource;
    }

    // The stored string of a call key given as UTF-8, or null when no selected call has it.
    private static string? CallKey(HashSet<string>.AlternateLookup<ReadOnlySpan<char>> keys, ReadOnlySpan<byte> utf8, ref Span<char> chars)
    {
        if (chars.Length < utf8.Length)
        {
            chars = new char[utf8.Length]; // a UTF-8 key never decodes to more chars than it has bytes
        }

        var length = Encoding.UTF8.GetChars(utf8, chars);
        return keys.TryGetValue(chars[..length], out var key) ? key : null;
    }

    private static PreparedStatement Prepare(SqliteConnection connection, string sql, List<(string Name, SqlValue Value)> parameters)
    {
        var statement = new PreparedStatement(connection, sql);
        try
        {
            foreach (var (name, value) in parameters)
            {
                statement.Bind(statement.ParameterIndex(name), value);
            }

            return statement;
        }
        catch
        {
            statement.Dispose();
            throw;
        }
    }

    // Counts, durations and costs are never negative, so the query sends NULL as -1: one native
    // call per column instead of a type check and a read.
    private static long? Count(PreparedStatement statement, int column) => statement.Int64(column) is var value and >= 0 ? value : null;

    // Text that is mostly different on every row (keys, targets): decoded as it comes, since a
    // table of values that never repeat would only cost memory.
    private static string? Unique(PreparedStatement statement, int column) =>
        statement.IsNull(column) ? null : Encoding.UTF8.GetString(statement.Utf8(column));

    // Text that many rows repeat: one string per distinct value.
    private static string? Shared(PreparedStatement statement, Utf8Interner texts, int column) =>
        statement.IsNull(column) ? null : texts.Text(texts.Id(statement.Utf8(column)));
}
