namespace Tally.Ledger;

/// <summary>
/// One transaction that an ingest writes a part at a time (see <see cref="ILedger.BeginAsync"/>):
/// the parts become visible together at <see cref="CommitAsync"/>, and disposing the transaction
/// without committing discards them all.
/// </summary>
/// <remarks>
/// Parts merge exactly as if they were one <see cref="IngestBatch"/> holding them in the order
/// written. Not thread-safe: one writer at a time.
/// </remarks>
public interface ILedgerTransaction : IAsyncDisposable
{
    /// <summary>Adds a part: calls, tool results and the cursors that cover them.</summary>
    /// <exception cref="InvalidOperationException">The transaction has ended.</exception>
    Task WriteAsync(IngestBatch part, CancellationToken cancellationToken = default);

    /// <summary>Makes every part written visible at once; the transaction then ends.</summary>
    /// <exception cref="InvalidOperationException">The transaction has ended.</exception>
    Task CommitAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// The transaction of a ledger that writes only whole batches: it gathers the parts and writes
/// them with <see cref="ILedger.CommitAsync"/> at the commit.
/// </summary>
internal sealed class GatheredTransaction(ILedger ledger) : ILedgerTransaction
{
    private IngestBatch? _gathered = new();

    public Task WriteAsync(IngestBatch part, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(part);
        var gathered = _gathered ?? throw new InvalidOperationException("The transaction has ended.");
        gathered.Calls.AddRange(part.Calls);
        gathered.ToolResults.AddRange(part.ToolResults);
        gathered.Cursors.AddRange(part.Cursors);
        return Task.CompletedTask;
    }

    public Task CommitAsync(CancellationToken cancellationToken = default)
    {
        var gathered = _gathered ?? throw new InvalidOperationException("The transaction has ended.");
        _gathered = null;
        return ledger.CommitAsync(gathered, cancellationToken);
    }

    public ValueTask DisposeAsync()
    {
        _gathered = null;
        return ValueTask.CompletedTask;
    }
}
