using Microsoft.Extensions.Logging;
using Tally.Extensions.AI.Tests.TestDoubles;
using Tally.Model;

namespace Tally.Extensions.AI.Tests;

public sealed class TallyRecorderTests : IDisposable
{
    private static readonly DateTimeOffset At = new(2026, 5, 14, 10, 0, 0, TimeSpan.Zero);

    private readonly TestLedger _ledger = new();

    public void Dispose() => _ledger.DisposeAsync().AsTask().GetAwaiter().GetResult();

    private static LlmCallRecord Call(string id, long input = 10) => new()
    {
        Model = "claude-sonnet-4-5",
        CallId = id,
        Timestamp = At,
        Usage = new TokenUsage(input, 0, null, null, 5, null),
    };

    [Theory]
    [InlineData(-1, 0, 0, "input")]
    [InlineData(0, -5, 0, "cacheRead")]
    [InlineData(0, 0, -2, "output")]
    public async Task A_negative_count_is_a_clear_argument_error(long input, long cacheRead, long output, string bucket)
    {
        await using var recorder = Recorders.Over(_ledger);

        var error = Assert.Throws<ArgumentException>(() => recorder.Record(Call("c") with { Usage = new TokenUsage(input, cacheRead, null, null, output, null) }));

        Assert.Contains(bucket, error.Message, StringComparison.Ordinal);
        Assert.Contains("negative", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_empty_model_and_reasoning_beyond_output_are_argument_errors()
    {
        await using var recorder = Recorders.Over(_ledger);

        Assert.Contains("model", Assert.Throws<ArgumentException>(() => recorder.Record(Call("c") with { Model = " " })).Message, StringComparison.Ordinal);
        Assert.Contains("reasoning", Assert.Throws<ArgumentException>(() => recorder.Record(Call("c") with { Usage = new TokenUsage(1, null, null, null, 10, 11) })).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => recorder.Record(Call("c") with { Duration = TimeSpan.FromSeconds(-1) }));
        Assert.Throws<ArgumentException>(() => recorder.Record(Call("c") with { Cost = -0.01m }));
        await recorder.FlushAsync();
        Assert.Empty(_ledger.Calls);
    }

    [Fact]
    public async Task An_unknown_stop_reason_is_other_with_the_raw_value_kept()
    {
        await using var recorder = Recorders.Over(_ledger);

        recorder.Record(Call("c") with { FinishReason = "compaction" });
        await recorder.FlushAsync();

        var call = Assert.Single(_ledger.Calls);
        Assert.Equal(StopReason.Other, call.StopReason);
        Assert.Equal("compaction", call.StopReasonRaw);
    }

    [Fact]
    public async Task A_run_reported_as_a_per_model_map_becomes_one_record_per_model_with_the_runs_duration_and_turns()
    {
        await using var recorder = Recorders.Over(_ledger, o => o.Agent = "triage");
        var run = new RunUsageRecord
        {
            RunId = "run-7",
            Timestamp = At,
            Duration = TimeSpan.FromSeconds(42),
            Turns = 9,
            Provider = "anthropic",
            Models = new Dictionary<string, ModelUsage>
            {
                ["claude-sonnet-4-5"] = ModelUsage.FromAnthropic(inputTokens: 120, outputTokens: 3_400, cacheReadInputTokens: 250_000, cacheCreationInputTokens: 8_000, costUsd: 0.1234m),
                ["claude-haiku-4-5"] = ModelUsage.FromAnthropic(inputTokens: 900, outputTokens: 150, cacheReadInputTokens: null, cacheCreationInputTokens: null),
            },
        };

        recorder.RecordRun(run);
        recorder.RecordRun(run); // reported twice: stored once
        await recorder.FlushAsync();

        var calls = _ledger.Calls.OrderBy(c => c.Model, StringComparer.Ordinal).ToList();
        Assert.Equal(["run-7/claude-haiku-4-5", "run-7/claude-sonnet-4-5"], calls.Select(c => c.CallKey));
        Assert.All(calls, c =>
        {
            Assert.Equal("run-7", c.SessionId);
            Assert.Equal(42_000, c.DurationMs);
            Assert.Equal(9, c.RunTurns);
            Assert.Equal("triage", c.Agent);
            Assert.Equal(KeyKind.Recorded, c.KeyKind);
        });
        Assert.Equal(new TokenUsage(120, 250_000, 8_000, null, 3_400, null), calls[1].Usage);
        Assert.Equal(0.1234m, calls[1].ReportedCost);
        Assert.Equal(new TokenUsage(900, null, null, null, 150, null), calls[0].Usage);
        Assert.Null(calls[0].ReportedCost);
    }

    [Fact]
    public async Task A_run_without_models_or_with_a_negative_turn_count_is_an_argument_error()
    {
        await using var recorder = Recorders.Over(_ledger);

        Assert.Throws<ArgumentException>(() => recorder.RecordRun(new RunUsageRecord { RunId = "r", Models = new Dictionary<string, ModelUsage>() }));
        Assert.Throws<ArgumentException>(() => recorder.RecordRun(new RunUsageRecord
        {
            RunId = "r",
            Turns = -1,
            Models = new Dictionary<string, ModelUsage> { ["m"] = new(TokenUsage.None) },
        }));
        Assert.Throws<ArgumentException>(() => recorder.RecordRun(new RunUsageRecord
        {
            RunId = "r",
            Models = new Dictionary<string, ModelUsage> { ["m"] = new(new TokenUsage(-3, null, null, null, null, null)) },
        }));
    }

    [Fact]
    public async Task Disposing_flushes_everything_that_was_recorded_and_closes_the_ledger()
    {
        var recorder = Recorders.Over(_ledger);
        for (var i = 0; i < 1_000; i++)
        {
            recorder.Record(Call($"c{i}", input: i));
        }

        await recorder.DisposeAsync();

        Assert.Equal(1_000, _ledger.Calls.Count);
        Assert.Equal(Enumerable.Range(0, 1_000).Sum(i => (long)i), _ledger.Calls.Sum(c => c.Usage.Input));
        Assert.Equal(1_000, recorder.WrittenCount);
        Assert.True(_ledger.Disposed);
    }

    [Fact]
    public async Task When_the_buffer_is_full_the_oldest_records_are_dropped_counted_and_logged()
    {
        var logs = new TestLoggerFactory();
        _ledger.Hold();
        var recorder = Recorders.Over(_ledger, o => o.BufferCapacity = 5, logs);
        recorder.Record(Call("first"));
        await _ledger.Holding.Task; // the writer holds "first" in a commit that waits

        for (var i = 0; i < 12; i++)
        {
            recorder.Record(Call($"c{i:D2}"));
        }

        Assert.Equal(7, recorder.DroppedCount);
        _ledger.Release();
        await recorder.FlushAsync();

        // The five newest waited in the buffer; the seven oldest of them were dropped, never written.
        Assert.Equal(["c07", "c08", "c09", "c10", "c11", "first"], _ledger.Calls.Select(c => c.CallKey).Order(StringComparer.Ordinal));
        Assert.Equal(13, recorder.WrittenCount + recorder.DroppedCount);
        Assert.Contains(logs.At(LogLevel.Warning), m => m.Contains("dropped 7", StringComparison.Ordinal));
        await recorder.DisposeAsync();
    }

    [Fact]
    public async Task While_the_ledger_is_unreachable_records_wait_and_one_warning_is_logged_then_all_are_written()
    {
        var logs = new TestLoggerFactory();
        _ledger.Unreachable = true;
        await using var recorder = Recorders.Over(_ledger, configure: null, logs);

        recorder.Record(Call("a"));
        recorder.Record(Call("b"));
        while (_ledger.FailedCommits < 3)
        {
            await Task.Delay(20);
        }

        recorder.Record(Call("c"));
        Assert.Empty(_ledger.Calls);
        _ledger.Unreachable = false;
        await recorder.FlushAsync();

        Assert.Equal(["a", "b", "c"], _ledger.Calls.Select(c => c.CallKey).Order(StringComparer.Ordinal));
        Assert.Single(logs.At(LogLevel.Warning), m => m.Contains("cannot write", StringComparison.Ordinal));
        Assert.Equal(0, recorder.DroppedCount);
    }

    [Fact]
    public async Task A_ledger_that_never_opens_does_not_fail_the_caller_and_disposal_gives_up_after_its_timeout()
    {
        var logs = new TestLoggerFactory();
        var recorder = new TallyRecorder(
            _ => throw new IOException("no such database"),
            new TallyOptions { ShutdownTimeout = TimeSpan.FromMilliseconds(200) },
            logs);

        recorder.Record(Call("a"));
        await recorder.DisposeAsync();

        Assert.Equal(0, recorder.WrittenCount);
        Assert.Contains(logs.At(LogLevel.Error), m => m.Contains("could not write 1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Recording_after_disposal_is_counted_as_dropped_not_thrown()
    {
        var recorder = Recorders.Over(_ledger);
        await recorder.DisposeAsync();

        recorder.Record(Call("late"));

        Assert.Equal(1, recorder.DroppedCount);
    }
}
