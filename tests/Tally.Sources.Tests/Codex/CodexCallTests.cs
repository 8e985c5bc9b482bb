using Tally.Model;

namespace Tally.Sources.Tests.Codex;

public sealed class CodexCallTests
{
    [Fact]
    public void SimpleTurn_OneCall_WithDisjointBucketsAndDerivedKey()
    {
        var result = CodexFixtures.Read("simple-turn.jsonl");

        var call = Assert.Single(result.Calls);
        Assert.Equal(SourceNames.Codex, call.Source);
        Assert.Equal("2025-10-01T12:00:03.456Z|5000|1200|300|64", call.CallKey);
        Assert.Equal(KeyKind.Derived, call.KeyKind);
        Assert.Equal("0199a000-0000-7000-8000-000000000001", call.SessionId);
        Assert.Equal(new DateTimeOffset(2025, 10, 1, 12, 0, 3, 456, TimeSpan.Zero), call.Timestamp);
        Assert.Equal("gpt-5-codex", call.Model);
        Assert.Equal("openai", call.Provider);
        Assert.Equal(new TokenUsage(3800, 1200, null, null, 300, 64), call.Usage);
        Assert.Equal(StopReason.Unknown, call.StopReason);
        Assert.Null(call.StopReasonRaw);
        Assert.Equal("/work/demo", call.Project);
        Assert.Empty(result.Skipped);
    }

    [Fact]
    public void MultiTurn_CumulativeCounters_ReEmitsAndNullInfoAreNotCalls()
    {
        var result = CodexFixtures.Read("multi-turn-cumulative.jsonl");

        Assert.Equal(
        [
            "2025-10-02T09:00:02.000Z|1000|0|100|20",
            "2025-10-02T09:00:12.000Z|2500|900|180|30",
            "2025-10-02T09:00:15.000Z|4500|2300|400|80",
        ], result.Calls.Select(c => c.CallKey));
        Assert.Equal(
        [
            new TokenUsage(1000, 0, null, null, 100, 20),
            // No last_token_usage: the difference of the totals (1500 input of which 900 cached).
            new TokenUsage(600, 900, null, null, 80, 10),
            // last_token_usage is what the call billed.
            new TokenUsage(600, 1400, null, null, 220, 50),
        ], result.Calls.Select(c => c.Usage));
        Assert.Equal(["gpt-5", "gpt-5-codex", "gpt-5-codex"], result.Calls.Select(c => c.Model));
        Assert.Empty(result.Skipped);
    }

    [Fact]
    public void CounterGoingBackwards_RestartsTheBaseline_NeverNegative()
    {
        var result = CodexFixtures.Read("counter-reset.jsonl");

        Assert.Equal(
        [
            new TokenUsage(5000, 4000, null, null, 700, 100),
            new TokenUsage(1000, 200, null, null, 90, 10),
            new TokenUsage(300, 500, null, null, 60, 15),
        ], result.Calls.Select(c => c.Usage));
        Assert.Equal("2025-10-03T08:00:09.000Z|1200|200|90|10", result.Calls[1].CallKey);
    }

    [Fact]
    public void MissingFields_AreNullNotZero()
    {
        var result = CodexFixtures.Read("missing-fields.jsonl");

        Assert.Equal(2, result.Calls.Count);
        // Cached input not reported: all of input is fresh, cache read unknown.
        Assert.Equal(new TokenUsage(800, null, null, null, 60, null), result.Calls[0].Usage);
        Assert.Equal("2025-10-04T10:00:02.000Z|800||60|", result.Calls[0].CallKey);
        // The difference with a field missing on one side is unknown, not zero.
        Assert.Equal(new TokenUsage(700, null, null, null, 30, null), result.Calls[1].Usage);
        // No turn_context and no model on the event.
        Assert.All(result.Calls, c => Assert.Equal("unknown", c.Model));
        Assert.All(result.Calls, c => Assert.Null(c.Project));
    }

    [Fact]
    public void CachedAboveInput_IsClampedSoTheBilledTotalIsInput()
    {
        var usage = Tally.Sources.Codex.CodexRolloutAssembler.ToUsage(new Tally.Sources.Codex.CodexCounts(100, 150, 5, null));

        Assert.Equal(new TokenUsage(0, 100, null, null, 5, null), usage);
    }

    [Fact]
    public void SessionId_FallsBackToTheUuidInTheFileName()
    {
        using var dir = new TestSupport.TestDirectory();
        var path = dir.WriteFile(
            "rollout-2025-10-08T10-00-00-0199a000-0000-7000-8000-0000000000ff.jsonl",
            "{\"timestamp\":\"2025-10-08T10:00:01.000Z\",\"type\":\"event_msg\",\"payload\":{\"type\":\"token_count\",\"info\":{\"model\":\"gpt-5-mini\",\"total_token_usage\":{\"input_tokens\":10,\"cached_input_tokens\":0,\"output_tokens\":2,\"reasoning_output_tokens\":0}}}}\n");

        var call = Assert.Single(CodexFixtures.ReadFile(path).Calls);

        Assert.Equal("0199a000-0000-7000-8000-0000000000ff", call.SessionId);
        Assert.Equal("gpt-5-mini", call.Model);
    }
}
