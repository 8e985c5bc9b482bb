using System.Collections.Concurrent;
using Tally.Ledger;
using Tally.Model;

namespace Tally.Extensions.AI.Tests.TestDoubles;

/// <summary>
/// An in-memory ledger with the contract's upsert on (source, callKey). It can be made unreachable
/// (every commit throws) or held (a commit waits until released), to test the recorder's buffer.
/// </summary>
internal sealed class TestLedger : ILedger
{
    private readonly ConcurrentDictionary<(string, string), LlmCall> _calls = new();
    private TaskCompletionSource? _hold;

    public string Location => "memory";

    public bool Unreachable { get; set; }

    public int Commits { get; private set; }

    public int FailedCommits { get; private set; }

    public bool Disposed { get; private set; }

    public IReadOnlyList<LlmCall> Calls => [.. _calls.Values.OrderBy(c => c.Timestamp).ThenBy(c => c.CallKey, StringComparer.Ordinal)];

    /// <summary>Signalled when a commit starts waiting on a hold.</summary>
    public TaskCompletionSource Holding { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Hold()
    {
        _hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public void Release() => _hold?.TrySetResult();

    public async Task CommitAsync(IngestBatch batch, CancellationToken cancellationToken = default)
    {
        if (_hold is { } hold)
        {
            Holding.TrySetResult();
            await hold.Task.WaitAsync(cancellationToken);
            _hold = null;
        }

        if (Unreachable)
        {
            FailedCommits++;
            throw new IOException("The test ledger is unreachable.");
        }

        Commits++;
        foreach (var call in batch.Calls)
        {
            _calls.AddOrUpdate((call.Source, call.CallKey), call, (_, old) => call.Completeness > old.Completeness ? call : old);
        }
    }

    public ValueTask DisposeAsync()
    {
        Disposed = true;
        return ValueTask.CompletedTask;
    }

    public Task<IReadOnlyDictionary<string, FileCursor>> GetCursorsAsync(string source, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<IReadOnlyList<UsageAggregate>> AggregateAsync(UsageQuery query, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<IReadOnlyList<SessionSpan>> GetSessionSpansAsync(CallFilter filter, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public IAsyncEnumerable<LlmCall> ReadCallsAsync(CallFilter filter, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public IAsyncEnumerable<ToolResult> ReadToolResultsAsync(CallFilter filter, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task ForgetSourcesAsync(IReadOnlyList<string> sources, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<LedgerStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();
}
