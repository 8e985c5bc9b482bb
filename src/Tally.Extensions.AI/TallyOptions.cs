namespace Tally.Extensions.AI;

/// <summary>Where and how <see cref="TallyRecorder"/> records calls.</summary>
public sealed class TallyOptions
{
    /// <summary>
    /// The ledger: a SQLite file path, or a PostgreSQL URL (<c>postgres://…</c>) or connection
    /// string. Null means the user's ledger, found as the <c>tally</c> command finds it:
    /// <c>TALLY_LEDGER</c>, else the <c>"ledger"</c> of <c>$TALLY_HOME/config.json</c>, else the
    /// embedded <c>$TALLY_HOME/ledger.db</c> (<c>TALLY_HOME</c> defaults to <c>~/.tally</c>).
    /// </summary>
    public string? Ledger { get; set; }

    /// <summary>
    /// A JSON Lines file to append every call to, as <c>tally.llm_call/1</c> usage events that
    /// <c>tally import</c> reads. When it is set and <see cref="Ledger"/> is not, calls go to this
    /// file only (a process without a ledger hands its usage over later); when both are set, to both.
    /// </summary>
    public string? EventFile { get; set; }

    /// <summary>The agent's name, stored on every record that does not name its own.</summary>
    public string? Agent { get; set; }

    /// <summary>Free-form labels stored on every record (a record's own tags win on the same key).</summary>
    public IDictionary<string, string> Tags { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The provider name to record, when the chat client's metadata does not give the right one.</summary>
    public string? Provider { get; set; }

    /// <summary>The session of records that carry no conversation id; defaults to one new id per recorder (per process run).</summary>
    public string SessionId { get; set; } = "sdk-" + Guid.CreateVersion7().ToString("N");

    /// <summary>How many records may wait to be written; beyond it the oldest are dropped and counted (<see cref="TallyRecorder.DroppedCount"/>).</summary>
    public int BufferCapacity { get; set; } = 10_000;

    /// <summary>At most this many records per ledger transaction.</summary>
    public int MaxBatchSize { get; set; } = 512;

    /// <summary>How long disposing the recorder waits for the ledger to take what is still buffered.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(10);

    internal TallyOptions Clone()
    {
        var copy = new TallyOptions
        {
            Ledger = Ledger,
            EventFile = EventFile,
            Agent = Agent,
            Provider = Provider,
            SessionId = SessionId,
            BufferCapacity = BufferCapacity,
            MaxBatchSize = MaxBatchSize,
            ShutdownTimeout = ShutdownTimeout,
        };
        foreach (var (key, value) in Tags)
        {
            copy.Tags[key] = value;
        }

        return copy;
    }
}
