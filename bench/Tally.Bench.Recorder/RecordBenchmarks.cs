using System.Diagnostics.Metrics;
using BenchmarkDotNet.Attributes;
using Tally.Extensions.AI;
using Tally.Ledger;
using Tally.Model;

namespace Tally.Bench.Recorder;

/// <summary>
/// The cost of <see cref="TallyRecorder.Record(LlmCallRecord)"/> on the caller's thread: validate,
/// build the ledger's call, emit metrics, queue it.
/// </summary>
/// <remarks>
/// A benchmark records millions of calls a second, far beyond what the writer drains, so the
/// buffer is full and every write also drops the oldest record. With <see cref="WriterParked"/>
/// the ledger never answers, the writer waits on it and only the caller's thread works: its
/// share alone. Without it the writer commits to a ledger that keeps nothing, running flat out on
/// the other core and contending for the buffer: a worst case no real agent reaches.
/// </remarks>
[MemoryDiagnoser]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "BenchmarkDotNet's GlobalCleanup disposes them.")]
public class RecordBenchmarks
{
    private static readonly LlmCallRecord Call = new()
    {
        Model = "claude-sonnet-4-5-20250929",
        Provider = "anthropic",
        RequestModel = "claude-sonnet-4-5",
        FinishReason = "end_turn",
        Duration = TimeSpan.FromMilliseconds(850),
        ConversationId = "bench-session",
        Usage = new TokenUsage(120, 90_000, 1_500, null, 800, 200),
    };

    private TallyRecorder _recorder = null!;
    private MeterListener? _listener;

    /// <summary>Whether a metrics listener (an OpenTelemetry exporter, say) is collecting the Tally meter.</summary>
    [Params(false, true)]
    public bool MetricsCollected { get; set; }

    /// <summary>Whether the writer is parked on a ledger that never answers (else it drains to one that keeps nothing).</summary>
    [Params(true, false)]
    public bool WriterParked { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var ledger = new DiscardingLedger { NeverAnswers = WriterParked };
        _recorder = new TallyRecorder(_ => ValueTask.FromResult<ILedger>(ledger), new TallyOptions { BufferCapacity = 10_000, ShutdownTimeout = TimeSpan.Zero });
        if (MetricsCollected)
        {
            _listener = new MeterListener
            {
                InstrumentPublished = (instrument, listener) =>
                {
                    if (instrument.Meter.Name == TallyRecorder.MeterName)
                    {
                        listener.EnableMeasurementEvents(instrument);
                    }
                },
            };
            _listener.SetMeasurementEventCallback<long>((_, _, _, _) => { });
            _listener.SetMeasurementEventCallback<double>((_, _, _, _) => { });
            _listener.Start();
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _listener?.Dispose();
        _recorder.Dispose();
    }

    [Benchmark]
    public void Record() => _recorder.Record(Call);
}
