using Tally.Core.Tests.TestDoubles;
using Tally.Ledger;
using Tally.Model;
using Tally.Pricing;
using Tally.Reports;

namespace Tally.Core.Tests.Reports;

public sealed class CacheRegressionsTests
{
    // A day whose cache hit ratio is the given one (null: no input at all).
    private static UsageRow Day(string key, double? ratio) => ratio is { } r
        ? new UsageRow(key, 1, new TokenUsage((long)Math.Round((1 - r) * 1000), (long)Math.Round(r * 1000), 0, 0, 10, null), 1m, 0)
        : new UsageRow(key, 1, new TokenUsage(0, 0, 0, 0, 10, null), 1m, 0);

    [Fact]
    public void A_day_well_below_the_median_of_the_days_before_it_is_flagged_once_there_is_enough_history()
    {
        UsageRow[] days =
        [
            Day("d1", 0.30), Day("d2", 0.92), Day("d3", 0.88), Day("d4", 0.91),
            Day("d5", 0.60), Day("d6", null), Day("d7", 0.90), Day("d8", 0.75),
        ];

        var checks = CacheRegressions.Check(days);

        Assert.False(checks["d1"].Regression); // no history yet
        Assert.Null(checks["d3"].TrailingMedian);
        Assert.Equal(0.88, checks["d4"].TrailingMedian!.Value, 3);
        Assert.False(checks["d4"].Regression);
        Assert.Equal(0.895, checks["d5"].TrailingMedian!.Value, 3); // median of 0.30, 0.92, 0.88, 0.91
        Assert.True(checks["d5"].Regression);                        // 0.60 < 0.895 − 0.20
        Assert.False(checks["d6"].Regression);                       // no ratio: nothing to judge
        Assert.False(checks["d7"].Regression);
        Assert.False(checks["d8"].Regression);                       // 0.75 ≥ median 0.88 − 0.20
        Assert.Equal(["d5"], checks.Where(c => c.Value.Regression).Select(c => c.Key));
    }

    [Fact]
    public async Task Summaries_by_day_carry_the_checks_and_other_groupings_do_not()
    {
        var ledger = new TestLedger();
        for (var day = 0; day < 5; day++)
        {
            var cacheRead = day == 4 ? 100L : 900L;
            var quarterHour = new DateTimeOffset(2026, 3, 1 + day, 12, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds() / 900_000;
            ledger.Aggregates.Add(new UsageAggregate(null, quarterHour, SourceNames.ClaudeCode, "claude-sonnet-4-5", "anthropic", 0,
                StopReason.EndTurn, false, 1, new TokenUsage(1000 - cacheRead, cacheRead, 0, 0, 10, null), null));
        }

        var byDay = await SummaryQuery.RunAsync(ledger, PriceCatalog.Embedded, new SummaryOptions(CallFilter.All, SummaryGrouping.Day, TimeZoneInfo.Utc));
        var byModel = await SummaryQuery.RunAsync(ledger, PriceCatalog.Embedded, new SummaryOptions(CallFilter.All, SummaryGrouping.Model, TimeZoneInfo.Utc));

        Assert.True(byDay.CacheChecks!["2026-03-05"].Regression);
        Assert.False(byDay.CacheChecks["2026-03-04"].Regression);
        Assert.Null(byModel.CacheChecks);
    }
}
