using Tally.Core.Tests.TestDoubles;
using Tally.Ledger;
using Tally.Model;
using Tally.Pricing;
using Tally.Reports;

namespace Tally.Core.Tests.Reports;

public sealed class CacheHitRatioTests
{
    [Theory]
    [InlineData(SummaryGrouping.Model)]
    [InlineData(SummaryGrouping.Session)]
    [InlineData(SummaryGrouping.Day)]
    public async Task Each_row_has_its_own_ratio_and_null_where_nothing_was_read_as_input(SummaryGrouping grouping)
    {
        var ledger = new TestLedger();
        var day1 = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds() / 900_000;
        var day2 = new DateTimeOffset(2026, 3, 2, 12, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds() / 900_000;
        // Row one: 300 fresh, 600 read, 100 written: 60 %. Row two: output only, a 0/0 ratio.
        ledger.Aggregates.Add(new UsageAggregate("s1", day1, SourceNames.ClaudeCode, "claude-sonnet-4-5", "anthropic", 0, StopReason.EndTurn, false, 2,
            new TokenUsage(300, 600, 100, 0, 50, null), null));
        ledger.Aggregates.Add(new UsageAggregate("s2", day2, SourceNames.ClaudeCode, "claude-haiku-4-5", "anthropic", 0, StopReason.EndTurn, false, 1,
            new TokenUsage(0, 0, 0, 0, 40, null), null));

        var report = await SummaryQuery.RunAsync(ledger, PriceCatalog.Embedded, new SummaryOptions(CallFilter.All, grouping, TimeZoneInfo.Utc));

        Assert.Equal(2, report.Rows.Count);
        Assert.Equal(0.6, report.Rows.Single(r => r.Calls == 2).CacheHitRatio!.Value, 6);
        Assert.Null(report.Rows.Single(r => r.Calls == 1).CacheHitRatio);
        Assert.Equal(0.6, report.Totals.CacheHitRatio!.Value, 6);
    }
}
