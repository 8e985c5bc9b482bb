using Tally.Model;

namespace Tally.Extensions.AI.Recording;

/// <summary>Where the recorder's writer puts a batch of calls: a ledger or an event file.</summary>
internal interface ICallSink : IAsyncDisposable
{
    /// <summary>Where, safe to log.</summary>
    string Location { get; }

    /// <summary>Writes the batch whole or throws; writing the same batch again must not count a call twice.</summary>
    ValueTask WriteAsync(IReadOnlyList<LlmCall> calls, CancellationToken cancellationToken);
}
