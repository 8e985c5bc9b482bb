using Tally.Ledger;
using Tally.Model;
using Tally.Pricing;
using Tally.Reports.Blocks;

namespace Tally.Core.Tests.Reports.Blocks;

public sealed class BlocksQueryTests
{
    private static readonly PriceCatalog Prices = PriceCatalog.Embedded;
    private static readonly DateTimeOffset Day = new(2026, 3, 2, 0, 0, 0, TimeSpan.Zero);

    private static LlmCall Call(string key, double hours, long input = 1000) => new()
    {
        Source = SourceNames.ClaudeCode,
        CallKey = key,
        SessionId = "s",
        Timestamp = Day.AddHours(hours),
        Model = "claude-sonnet-4-5",
        Provider = "anthropic",
        Usage = new TokenUsage(input, 0, 0, 0, 0, null),
    };

    private static IReadOnlyList<BillingBlock> Build(DateTimeOffset now, params LlmCall[] calls) =>
        BlocksQuery.Build(calls, Prices, new BlocksOptions(CallFilter.All, now));

    [Fact]
    public void A_window_opens_at_the_first_calls_hour_and_a_call_past_five_hours_from_its_start_opens_the_next()
    {
        var blocks = Build(Day.AddDays(2), Call("a", 10.25), Call("b", 11), Call("c", 15.0), Call("d", 15.25));

        Assert.Equal(2, blocks.Count);
        Assert.Equal(Day.AddHours(10), blocks[0].Start);
        Assert.Equal(Day.AddHours(15), blocks[0].End);
        Assert.Equal(3, blocks[0].Calls); // exactly 5 h after the start is still inside, as ccusage counts
        Assert.Equal(Day.AddHours(15), blocks[1].Start);
        Assert.False(blocks[1].IsGap); // busy all along: no gap between them
        Assert.Equal(1, blocks[1].Calls);
    }

    [Fact]
    public void More_than_five_idle_hours_close_the_window_and_show_the_gap()
    {
        var blocks = Build(Day.AddDays(2), Call("a", 1.5), Call("b", 2), Call("c", 7.5));

        Assert.Equal(3, blocks.Count);
        Assert.Equal(Day.AddHours(1), blocks[0].Start);
        Assert.True(blocks[1].IsGap);
        Assert.Equal(Day.AddHours(7), blocks[1].Start);
        Assert.Equal(Day.AddHours(7.5), blocks[1].End);
        Assert.Equal(0, blocks[1].Calls);
        Assert.Equal(Day.AddHours(7), blocks[2].Start);
        Assert.All(blocks, b => Assert.False(b.IsActive));
    }

    [Fact]
    public void The_active_window_burns_per_hour_between_its_first_and_last_call_and_projects_to_its_end()
    {
        var blocks = Build(Day.AddHours(12), Call("a", 10.5, input: 1000), Call("b", 11.5, input: 1000));

        var block = Assert.Single(blocks);
        Assert.True(block.IsActive);
        Assert.Equal(2000m, block.BurnRate!.TokensPerHour);
        Assert.Equal(0.006m, block.BurnRate.CostPerHour); // $3 per million input
        Assert.Equal(2000 + 3 * 2000, block.Projection!.Tokens); // 3 h left at 2,000 an hour
        Assert.Equal(0.006m + 3 * 0.006m, block.Projection.Cost);
        Assert.Equal(180, block.Projection.RemainingMinutes);
    }

    [Fact]
    public void A_window_past_its_end_is_no_longer_active_even_after_a_recent_call()
    {
        var blocks = Build(Day.AddHours(14.75), Call("a", 10.5), Call("b", 9.75));

        var block = Assert.Single(blocks);
        Assert.Equal(Day.AddHours(9), block.Start);
        Assert.False(block.IsActive); // ended at 14:00
        Assert.Null(block.Projection);
    }
}
