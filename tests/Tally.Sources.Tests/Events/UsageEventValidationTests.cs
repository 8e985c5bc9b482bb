using Tally.Ingest;

namespace Tally.Sources.Tests.Events;

public sealed class UsageEventValidationTests
{
    [Fact]
    public void BadLines_AreEachReportedWithTheirLineNumberAndReason()
    {
        var path = EventFixtures.PathOf("bad-lines.jsonl");

        var result = EventFixtures.ReadFile(path);

        Assert.Equal(
        [
            (2L, "not JSON"),
            (3L, "not JSON"),
            (4L, "not a usage event"),
            (5L, "not a usage event"),
            (7L, "unsupported schema \"tally.llm_call/2\""),
            (8L, "missing model"),
            (9L, "missing model"),
            (10L, "missing timestamp"),
            (11L, "unparsable timestamp"),
            (12L, "unparsable timestamp"),
            (13L, "negative count: tokens.output"),
            (14L, "wrong type: tokens.input is not a whole number"),
            (15L, "wrong type: tokens.input is not a whole number"),
            (16L, "wrong type: tokens is not an object"),
            (17L, "wrong type: model is not a string"),
            (18L, "wrong type: cost is not a number"),
            (19L, "negative cost"),
            (20L, "negative duration: durationMs"),
            (21L, "missing model"),
            (22L, "negative count: cache_read_input_tokens"),
            (23L, "wrong type: timestamp is not a string"),
            (24L, "wrong type: schema is not a string"),
            (27L, "negative count: tokens.output"), // the first problem in the line wins
            (28L, "not JSON"), // trailing text after the object
        ], result.Skipped.Select(s => (s.Line, s.Reason)));
        Assert.All(result.Skipped, s => Assert.Equal(path, s.Path));
    }

    [Fact]
    public void GoodLines_AmongBadOnes_AreKept()
    {
        var path = EventFixtures.PathOf("bad-lines.jsonl");

        var result = EventFixtures.ReadFile(path);

        // Line 6 is blank and line 26 another event type: neither a call nor a problem.
        Assert.Equal(3, result.Calls.Count);
        Assert.Equal("ok-1", result.Calls[0].CallKey);
        Assert.Equal(new Model.TokenUsage(10, null, null, null, 1, null), result.Calls[1].Usage);
        Assert.Equal("ok-2", result.Calls[2].CallKey);
        Assert.Equal(new ReadStart(new FileInfo(path).Length, 29, null), result.Next);
    }
}
