using Tally.Model;

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

    /// <summary>
    /// How many records (calls and tool results) an ingest writes in one transaction before it
    /// commits: the ledger's balance between what each commit costs and what a crash makes the
    /// next ingest read again (and, for a ledger that gathers a transaction, what it holds in memory).
    /// </summary>
    /// <value>
    /// Default: 50,000, for the SQLite ledger. Calls arrive in random key order, so every commit
    /// rewrites much of its key index; larger transactions rewrite it fewer times (50,000 writes
    /// about a third less than 20,000 at 1 GB of logs).
    /// </value>
    int PreferredBatchRecords => 50_000;

    /// <summary>Writes a batch in one transaction (see <see cref="IngestBatch"/>).</summary>
    Task CommitAsync(IngestBatch batch, CancellationToken cancellationToken = default);

    /// <summary>
    /// Starts a transaction that an ingest writes a file at a time, so that a ledger able to store
    /// each part while the next file is read need not store a whole batch after the last one.
    /// </summary>
    /// <remarks>
    /// The default gathers the parts and writes them with <see cref="CommitAsync(IngestBatch, CancellationToken)"/>
    /// at the commit. A ledger that stores parts as they come may hold its write lock from here to
    /// the commit.
    /// </remarks>
    Task<ILedgerTransaction> BeginAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<ILedgerTransaction>(new GatheredTransaction(this));

    /// <summary>Aggregates usage (see <see cref="UsageQuery"/>); rows come in no particular order.</summary>
    Task<IReadOnlyList<UsageAggregate>> AggregateAsync(UsageQuery query, CancellationToken cancellationToken = default);

    /// <summary>Each session's first and last call and its project, over the calls the filter selects.</summary>
    Task<IReadOnlyList<SessionSpan>> GetSessionSpansAsync(CallFilter filter, CancellationToken cancellationToken = default);

    /// <summary>
    /// Every call the filter selects, in no particular order (reports sort what they need), each
    /// as stored: the most complete observation, with unknown buckets still null.
    /// </summary>
    /// <remarks>
    /// For reports that need single calls rather than sums (hotspots, billing blocks). Reading
    /// calls one by one never changes them; a call committed while the read runs may or may not
    /// be seen.
    /// </remarks>
    IAsyncEnumerable<LlmCall> ReadCallsAsync(CallFilter filter, CancellationToken cancellationToken = default);

    /// <summary>
    /// The tool results whose requesting call (same source, <see cref="ToolResult.CallKey"/>) is
    /// stored and selected by the filter, in no particular order. The filter is applied to that
    /// call, not to the result's own columns, so <c>--project</c> (which only calls carry) means
    /// the same for both; a result whose requesting call was never stored is not returned.
    /// </summary>
    IAsyncEnumerable<ToolResult> ReadToolResultsAsync(CallFilter filter, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes, in one transaction, every call, tool result and file cursor of the given sources,
    /// so that the next ingest reads their logs again from the start.
    /// </summary>
    /// <remarks>
    /// A ledger shared by several machines forgets only what this machine wrote (the PostgreSQL
    /// ledger does), so that one machine's rebuild never deletes another's records.
    /// </remarks>
    Task ForgetSourcesAsync(IReadOnlyList<string> sources, CancellationToken cancellationToken = default);

    /// <summary>Counts what the ledger holds.</summary>
    Task<LedgerStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default);
}
