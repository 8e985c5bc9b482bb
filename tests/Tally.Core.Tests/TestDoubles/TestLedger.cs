using System.Runtime.CompilerServices;
using System.Collections.Concurrent;
using Tally.Ledger;
using Tally.Model;

namespace Tally.Core.Tests.TestDoubles;

/// <summary>An in-memory ledger with the contract's upsert rules, for testing what sits above a ledger.</summary>
internal sealed class TestLedger : ILedger
{
    private readonly ConcurrentDictionary<(string, string), LlmCall> _calls = new();
    private readonly ConcurrentDictionary<(string, string), FileCursor> _cursors = new();
    private readonly ConcurrentDictionary<(string, string), ToolResult> _toolResults = new();

    public List<UsageAggregate> Aggregates { get; } = [];

    public int Commits { get; private set; }

    /// <summary>When set, the next commit throws this instead of writing (to test atomic batches).</summary>
    public Exception? FailNextCommit { get; set; }

    public IReadOnlyCollection<LlmCall> Calls => _calls.Values.ToList();

    public string Location => "memory";

    public Task<IReadOnlyDictionary<string, FileCursor>> GetCursorsAsync(string source, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyDictionary<string, FileCursor>>(
            _cursors.Where(c => c.Key.Item1 == source).ToDictionary(c => c.Key.Item2, c => c.Value));

    public FileCursor? Cursor(string source, string path) => _cursors.GetValueOrDefault((source, path));

    public Task CommitAsync(IngestBatch batch, CancellationToken cancellationToken = default)
    {
        if (FailNextCommit is { } failure)
        {
            FailNextCommit = null;
            throw failure;
        }

        Commits++;
        foreach (var call in batch.Calls)
        {
            _calls.AddOrUpdate((call.Source, call.CallKey), call, (_, old) => RecordMerge.Merge(old, call));
        }

        foreach (var result in batch.ToolResults)
        {
            _toolResults.AddOrUpdate((result.Source, result.ToolUseId), result, (_, old) => RecordMerge.Merge(old, result));
        }

        foreach (var cursor in batch.Cursors)
        {
            _cursors[(cursor.Source, cursor.Path)] = cursor;
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<UsageAggregate>> AggregateAsync(UsageQuery query, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<UsageAggregate>>(Aggregates);

    public List<SessionSpan> Spans { get; } = [];

    public Task<IReadOnlyList<SessionSpan>> GetSessionSpansAsync(CallFilter filter, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<SessionSpan>>(Spans);

    /// <summary>Tool results as committed (merged by identity, the first non-null field winning).</summary>
    public IReadOnlyCollection<ToolResult> ToolResults => _toolResults.Values.ToList();

    public async IAsyncEnumerable<LlmCall> ReadCallsAsync(
        CallFilter filter, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        foreach (var call in _calls.Values.Where(c => Matches(filter, c)).ToList())
        {
            yield return call;
        }
    }

    public async IAsyncEnumerable<ToolResult> ReadToolResultsAsync(
        CallFilter filter, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        foreach (var result in _toolResults.Values.ToList())
        {
            if (result.CallKey is { } key && _calls.TryGetValue((result.Source, key), out var call) && Matches(filter, call))
            {
                yield return result;
            }
        }
    }

    // The contract's filter: time window [since, until), project exact or as a path suffix, session prefix, source.
    private static bool Matches(CallFilter filter, LlmCall call) =>
        (filter.Since is not { } since || call.Timestamp >= since)
        && (filter.Until is not { } until || call.Timestamp < until)
        && (filter.Project is not { } project || call.Project == project || call.ProjectKey == project
            || (call.Project?.EndsWith("/" + project, StringComparison.Ordinal) ?? false)
            || (call.Project?.EndsWith("\\" + project, StringComparison.Ordinal) ?? false)
            || (call.ProjectKey?.EndsWith("/" + project, StringComparison.Ordinal) ?? false))
        && (filter.Session is not { } session || call.SessionId.StartsWith(session, StringComparison.Ordinal))
        && (filter.Source is not { } source || call.Source == source)
        && (filter.User is not { } user || call.User == user)
        && (filter.Host is not { } host || call.Host == host);

    public Task ForgetSourcesAsync(IReadOnlyList<string> sources, CancellationToken cancellationToken = default)
    {
        foreach (var key in _calls.Keys.Where(k => sources.Contains(k.Item1)).ToList())
        {
            _calls.TryRemove(key, out _);
        }

        foreach (var key in _toolResults.Keys.Where(k => sources.Contains(k.Item1)).ToList())
        {
            _toolResults.TryRemove(key, out _);
        }

        foreach (var key in _cursors.Keys.Where(k => sources.Contains(k.Item1)).ToList())
        {
            _cursors.TryRemove(key, out _);
        }

        return Task.CompletedTask;
    }

    public Task<LedgerStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(new LedgerStatistics(
            Location, 1, _calls.Values.GroupBy(c => c.Source).ToDictionary(g => g.Key, g => (long)g.Count()), 0, _cursors.Count, _cursors.Values.Sum(c => c.LinesSkipped)));

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
