using Tally.Ledger;
using Tally.Model;

namespace Tally.Bench.Recorder;

/// <summary>A ledger that accepts every batch and keeps nothing (or never answers), so the benchmark measures the recorder alone.</summary>
internal sealed class DiscardingLedger : ILedger
{
    public string Location => "discard";

    /// <summary>When set, a commit waits until cancelled: the ledger is unreachable and the writer parks on it.</summary>
    public bool NeverAnswers { get; init; }

    public Task CommitAsync(IngestBatch batch, CancellationToken cancellationToken = default) =>
        NeverAnswers ? Task.Delay(Timeout.Infinite, cancellationToken) : Task.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    public Task<IReadOnlyDictionary<string, FileCursor>> GetCursorsAsync(string source, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<IReadOnlyList<UsageAggregate>> AggregateAsync(UsageQuery query, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<IReadOnlyList<SessionSpan>> GetSessionSpansAsync(CallFilter filter, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public IAsyncEnumerable<LlmCall> ReadCallsAsync(CallFilter filter, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public IAsyncEnumerable<ToolResult> ReadToolResultsAsync(CallFilter filter, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task ForgetSourcesAsync(IReadOnlyList<string> sources, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<LedgerStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();
}
