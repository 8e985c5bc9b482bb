using System.Collections.Concurrent;
using Tally.Ledger;
using Tally.Model;

namespace Tally.Core.Tests.TestDoubles;

/// <summary>An in-memory ledger with the contract's upsert rules, for testing what sits above a ledger.</summary>
internal sealed class TestLedger : ILedger
{
    private readonly ConcurrentDictionary<(string, string), LlmCall> _calls = new();
    private readonly ConcurrentDictionary<(string, string), FileCursor> _cursors = new();

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
            _calls.AddOrUpdate((call.Source, call.CallKey), call, (_, old) => call.Completeness > old.Completeness ? call : old);
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

    public Task ForgetSourcesAsync(IReadOnlyList<string> sources, CancellationToken cancellationToken = default)
    {
        foreach (var key in _calls.Keys.Where(k => sources.Contains(k.Item1)).ToList())
        {
            _calls.TryRemove(key, out _);
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
