using System.Diagnostics;
using Tally.Extensions.AI;
using Tally.Ledger;
using Tally.Model;

namespace Tally.Bench.Recorder;

/// <summary>
/// The processor time <see cref="TallyRecorder.Record(LlmCallRecord)"/> takes per call, with the
/// writer parked: unlike BenchmarkDotNet's wall-clock figures, it does not count the time the
/// thread waits for a core, so it stays meaningful on a machine busy with other work.
/// </summary>
internal static class CpuTimeCheck
{
    public static void Run(int calls)
    {
        var record = new LlmCallRecord
        {
            Model = "claude-sonnet-4-5-20250929",
            Provider = "anthropic",
            FinishReason = "end_turn",
            Duration = TimeSpan.FromMilliseconds(850),
            ConversationId = "bench-session",
            Usage = new TokenUsage(120, 90_000, 1_500, null, 800, 200),
        };
        var ledger = new DiscardingLedger { NeverAnswers = true };
        using var recorder = new TallyRecorder(_ => ValueTask.FromResult<ILedger>(ledger), new TallyOptions { BufferCapacity = 10_000, ShutdownTimeout = TimeSpan.Zero });
        for (var i = 0; i < 100_000; i++)
        {
            recorder.Record(record); // warm up: JIT, tiering, a full buffer
        }

        for (var round = 1; round <= 3; round++)
        {
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var wall = Stopwatch.StartNew();
            for (var i = 0; i < calls; i++)
            {
                recorder.Record(record);
            }

            var cpuPerCall = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalNanoseconds / calls;
            Console.WriteLine($"round {round}: {cpuPerCall / 1000:F3} µs processor time per Record ({wall.Elapsed.TotalNanoseconds / calls / 1000:F3} µs wall), {calls:N0} calls");
        }
    }
}
