using Tally.Ledger;

namespace Tally.Extensions.AI.Tests.TestDoubles;

internal static class Recorders
{
    /// <summary>A recorder over an in-memory ledger.</summary>
    public static TallyRecorder Over(TestLedger ledger, Action<TallyOptions>? configure = null, TestLoggerFactory? logs = null)
    {
        var options = new TallyOptions { SessionId = "test-session" };
        configure?.Invoke(options);
        return new TallyRecorder(_ => ValueTask.FromResult<ILedger>(ledger), options, logs);
    }
}
