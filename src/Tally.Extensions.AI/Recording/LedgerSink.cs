using Tally.Ledger;
using Tally.Model;

namespace Tally.Extensions.AI.Recording;

/// <summary>Commits batches to a ledger, opening it on first use (and again after a failed open).</summary>
internal sealed class LedgerSink(Func<CancellationToken, ValueTask<ILedger>> open, string description) : ICallSink
{
    private ILedger? _ledger;

    public string Location => _ledger?.Location ?? description;

    public async ValueTask WriteAsync(IReadOnlyList<LlmCall> calls, CancellationToken cancellationToken)
    {
        _ledger ??= await open(cancellationToken).ConfigureAwait(false);
        var batch = new IngestBatch();
        batch.Calls.AddRange(calls);
        // An upsert on (source, call key): a batch retried after a failure never counts a call twice.
        await _ledger.CommitAsync(batch, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => _ledger?.DisposeAsync() ?? ValueTask.CompletedTask;
}
