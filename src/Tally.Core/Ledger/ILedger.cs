namespace Tally.Ledger;

/// <summary>
/// Where calls are kept. Implementations: the embedded SQLite ledger (the default) and the
/// PostgreSQL team ledger. A ledger knows storage and nothing about log formats.
/// </summary>
/// <remarks>
/// Implementations are safe to use from several processes at once: two ingests writing the same
/// calls never double count, because writes are upserts on each record's identity.
/// </remarks>
public interface ILedger : IAsyncDisposable
{
    /// <summary>Where the ledger is, safe to print (no secrets).</summary>
    string Location { get; }

    /// <summary>Every cursor of a source, keyed by file path.</summary>
    Task<IReadOnlyDictionary<string, FileCursor>> GetCursorsAsync(string source, CancellationToken cancellationToken = default);

    /// <summary>Writes a batch in one transaction (see <see cref="IngestBatch"/>).</summary>
    Task CommitAsync(IngestBatch batch, CancellationToken cancellationToken = default);

    /// <summary>Aggregates usage (see <see cref="UsageQuery"/>); rows come in no particular order.</summary>
    Task<IReadOnlyList<UsageAggregate>> AggregateAsync(UsageQuery query, CancellationToken cancellationToken = default);

    /// <summary>Each session's first and last call and its project, over the calls the filter selects.</summary>
    Task<IReadOnlyList<SessionSpan>> GetSessionSpansAsync(CallFilter filter, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes, in one transaction, every call, tool result and file cursor of the given sources,
    /// so that the next ingest reads their logs again from the start.
    /// </summary>
    Task ForgetSourcesAsync(IReadOnlyList<string> sources, CancellationToken cancellationToken = default);

    /// <summary>Counts what the ledger holds.</summary>
    Task<LedgerStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default);
}
