using Tally.Model;

namespace Tally.Ledger.Contract;

/// <summary>Records with sensible defaults, so each contract test states only what it is about.</summary>
public static class ContractRecords
{
    public static readonly DateTimeOffset T0 = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    public static LlmCall Call(
        string key,
        string session = "session-a",
        DateTimeOffset? at = null,
        TokenUsage? usage = null,
        StopReason stop = StopReason.EndTurn,
        string model = "claude-sonnet-4-5",
        string source = SourceNames.ClaudeCode,
        string? project = "/home/me/src/tally",
        string? projectKey = null,
        decimal? cost = null,
        string? user = null,
        string? host = null) => new()
    {
        Source = source,
        CallKey = key,
        SessionId = session,
        Timestamp = at ?? T0,
        Model = model,
        Provider = "anthropic",
        Usage = usage ?? new TokenUsage(10, 100, null, null, 20, null),
        StopReason = stop,
        StopReasonRaw = stop == StopReason.Unknown ? null : stop.JsonName(),
        Project = project,
        ProjectKey = projectKey,
        ReportedCost = cost,
        User = user,
        Host = host,
    };

    public static FileCursor Cursor(string path, long offset, string source = SourceNames.ClaudeCode, string? state = null) =>
        new(source, path, "fp-" + offset, offset, offset / 100, offset, T0.AddMinutes(offset), offset % 7, state);

    public static ToolResult Tool(string id, string? call = "msg_1", string session = "session-a", string source = SourceNames.ClaudeCode) =>
        new() { Source = source, ToolUseId = id, SessionId = session, CallKey = call };

    public static IngestBatch Batch(params LlmCall[] calls)
    {
        var batch = new IngestBatch();
        batch.Calls.AddRange(calls);
        return batch;
    }

    /// <summary>Commits the calls as one batch.</summary>
    public static Task CommitCallsAsync(this ILedger ledger, params LlmCall[] calls) => ledger.CommitAsync(Batch(calls));

    /// <summary>Everything, in one row per group of the given grouping.</summary>
    public static async Task<IReadOnlyList<UsageAggregate>> GroupAsync(
        this ILedger ledger,
        LedgerGrouping grouping = LedgerGrouping.None,
        CallFilter? filter = null,
        params long[] thresholds) =>
        await ledger.AggregateAsync(new UsageQuery(filter ?? CallFilter.All, grouping, thresholds));

    public static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }
}
