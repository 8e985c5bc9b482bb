using Tally.Ingest;
using Tally.Model;
using Tally.Projects;
using Tally.Sources.Events;

namespace Tally.Extensions.AI.Tests;

/// <summary>The JSONL event sink writes what <c>tally import</c> reads, back to the same calls.</summary>
public sealed class EventFileTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "tally-sdk-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public async Task What_the_sink_writes_tally_imports_back_to_the_same_calls()
    {
        var path = Path.Combine(_directory, "usage.jsonl");
        var at = new DateTimeOffset(2026, 5, 14, 10, 0, 0, 250, TimeSpan.Zero);
        var recorded = new[]
        {
            new LlmCallRecord
            {
                Model = "claude-sonnet-4-5", Provider = "anthropic", CallId = "call_01", Timestamp = at, ConversationId = "sess-42",
                Agent = "reviewer", FinishReason = "end_turn", Duration = TimeSpan.FromMilliseconds(1_234), Cost = 0.0123m,
                Usage = new TokenUsage(12, 90_000, 1_500, 0, 800, 120),
            },
            new LlmCallRecord
            {
                Model = "gpt-4o", CallId = "call_02", Timestamp = at.AddSeconds(1), ConversationId = "sess-42", FinishReason = "weird_reason",
                Usage = new TokenUsage(null, null, null, null, 7, null),
            },
        };

        // An event file and no ledger: a process without a ledger hands its usage over later.
        var recorder = new TallyRecorder(new TallyOptions { EventFile = path, SessionId = "unused" });
        foreach (var call in recorded)
        {
            recorder.Record(call);
        }

        await recorder.DisposeAsync();

        var source = new UsageEventFiles([path], new ProjectKeyResolver());
        var file = Assert.Single(source.Discover().Files);
        var read = source.Read(file, new ReadStart(0, 0, null));

        Assert.Empty(read.Skipped);
        Assert.Equal(2, read.Calls.Count);
        var first = read.Calls.Single(c => c.CallKey == "call_01");
        Assert.Equal(KeyKind.Recorded, first.KeyKind);
        Assert.Equal(at, first.Timestamp);
        Assert.Equal("claude-sonnet-4-5", first.Model);
        Assert.Equal("anthropic", first.Provider);
        Assert.Equal("sess-42", first.SessionId);
        Assert.Equal("reviewer", first.Agent);
        Assert.Equal(StopReason.EndTurn, first.StopReason);
        Assert.Equal("end_turn", first.StopReasonRaw);
        Assert.Equal(1_234, first.DurationMs);
        Assert.Equal(0.0123m, first.ReportedCost);
        Assert.Equal(new TokenUsage(12, 90_000, 1_500, 0, 800, 120), first.Usage);
        var second = read.Calls.Single(c => c.CallKey == "call_02");
        Assert.Equal(new TokenUsage(null, null, null, null, 7, null), second.Usage);
        Assert.Equal(StopReason.Other, second.StopReason);
        Assert.Equal("weird_reason", second.StopReasonRaw);
        Assert.Null(second.DurationMs);
    }
}
