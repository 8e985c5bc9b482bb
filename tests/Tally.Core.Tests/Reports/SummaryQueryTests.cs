using Tally.Core.Tests.TestDoubles;
using Tally.Ledger;
using Tally.Model;
using Tally.Pricing;
using Tally.Reports;

namespace Tally.Core.Tests.Reports;

public sealed class SummaryQueryTests : IAsyncDisposable
{
    private const string Sonnet = "claude-sonnet-4-5";
    private static readonly PriceCatalog Prices = PriceCatalog.Embedded;
    private readonly TestLedger _ledger = new();

    public ValueTask DisposeAsync() => _ledger.DisposeAsync();

    private static long QuarterHour(string utc) => DateTimeOffset.Parse(utc, System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds() / 900_000;

    private void Add(string model, long calls, TokenUsage tokens, string? key = null, long bucket = 0, int band = 0,
        StopReason stop = StopReason.EndTurn, decimal? reported = null) =>
        _ledger.Aggregates.Add(new UsageAggregate(key, bucket, "claude-code", model, "anthropic", band, stop, reported is not null, calls, tokens, reported));

    private Task<SummaryReport> Run(SummaryGrouping by, TimeZoneInfo? zone = null, CostMode mode = CostMode.Auto) =>
        SummaryQuery.RunAsync(_ledger, Prices, new SummaryOptions(CallFilter.All, by, zone ?? TimeZoneInfo.Utc, mode));

    [Fact]
    public async Task Sums_are_priced_per_bucket_and_a_long_context_band_at_the_tier_rates()
    {
        var band = Prices.ContextThresholds.ToList().IndexOf(200_000) + 1;
        Assert.True(band > 0);
        Add(Sonnet, 2, new TokenUsage(1_000_000, 1_000_000, 1_000_000, 1_000_000, 1_000_000, null));
        Add(Sonnet, 1, new TokenUsage(1_000_000, null, null, null, 1_000_000, null), band: band);

        var report = await Run(SummaryGrouping.Model);

        var row = Assert.Single(report.Rows);
        Assert.Equal(3, row.Calls);
        // Base: 3 + 0.30 + 3.75 + 6 + 15 per million; above 200k: 6 input + 22.5 output.
        Assert.Equal(28.05m + 28.5m, row.Cost);
    }

    [Fact]
    public async Task An_unpriced_model_has_no_cost_is_named_and_totals_say_what_they_leave_out()
    {
        Add(Sonnet, 1, new TokenUsage(1_000_000, null, null, null, null, null));
        Add("no-such-model-9", 4, new TokenUsage(10, null, null, null, 5, null));

        var report = await Run(SummaryGrouping.Model);

        Assert.Null(report.Rows.Single(r => r.Key == "no-such-model-9").Cost);
        Assert.Equal(3m, report.Totals.Cost);
        Assert.Equal(4, report.Totals.UnpricedCalls);
        Assert.Equal(new UnpricedModel("no-such-model-9", 4), Assert.Single(report.UnpricedModels));
    }

    [Fact]
    public async Task Cost_modes_choose_between_the_logged_cost_and_the_catalog()
    {
        Add(Sonnet, 1, new TokenUsage(1_000_000, null, null, null, null, null), reported: 1.25m);
        Add(Sonnet, 1, new TokenUsage(1_000_000, null, null, null, null, null));

        Assert.Equal(1.25m + 3m, (await Run(SummaryGrouping.Model)).Totals.Cost);
        Assert.Equal(6m, (await Run(SummaryGrouping.Model, mode: CostMode.Calculate)).Totals.Cost);
        var reported = await Run(SummaryGrouping.Model, mode: CostMode.Reported);
        Assert.Equal(1.25m, reported.Totals.Cost);
        Assert.Equal(1, reported.Totals.UnpricedCalls);
    }

    [Fact]
    public async Task Days_weeks_and_months_fall_on_local_boundaries_in_time_order()
    {
        var tokyo = TimeZoneInfo.FindSystemTimeZoneById("Asia/Tokyo");
        var kolkata = TimeZoneInfo.FindSystemTimeZoneById("Asia/Kolkata");
        Add(Sonnet, 1, new TokenUsage(1, null, null, null, 1, null), bucket: QuarterHour("2026-11-29T14:45:00Z"));
        Add(Sonnet, 2, new TokenUsage(1, null, null, null, 1, null), bucket: QuarterHour("2026-11-30T18:15:00Z"));

        var utcDays = await Run(SummaryGrouping.Day);
        var tokyoDays = await Run(SummaryGrouping.Day, tokyo);
        var kolkataDays = await Run(SummaryGrouping.Day, kolkata);
        var weeks = await Run(SummaryGrouping.Week, tokyo);
        var months = await Run(SummaryGrouping.Month, tokyo);

        Assert.Equal(["2026-11-29", "2026-11-30"], utcDays.Rows.Select(r => r.Key));
        // 14:45Z is 23:45 in Tokyo; 18:15Z is 03:15 the next day in Tokyo.
        Assert.Equal(["2026-11-29", "2026-12-01"], tokyoDays.Rows.Select(r => r.Key));
        // India is UTC+5:30: 18:15Z is 23:45 local, still the 30th.
        Assert.Equal(["2026-11-29", "2026-11-30"], kolkataDays.Rows.Select(r => r.Key));
        // Sunday the 29th belongs to the week of Monday the 23rd; Tuesday 1 December to Monday the 30th.
        Assert.Equal(["2026-11-23", "2026-11-30"], weeks.Rows.Select(r => r.Key));
        Assert.Equal(["2026-11", "2026-12"], months.Rows.Select(r => r.Key));
    }

    [Fact]
    public async Task Rows_by_cost_highest_first_and_stop_reasons_counted_for_every_reason()
    {
        Add("claude-haiku-4-5", 5, new TokenUsage(1_000_000, null, null, null, null, null), stop: StopReason.ToolUse);
        Add(Sonnet, 1, new TokenUsage(1_000_000, null, null, null, null, null), stop: StopReason.MaxTokens);

        var report = await Run(SummaryGrouping.Model);
        var byStop = await Run(SummaryGrouping.StopReason);

        Assert.Equal([Sonnet, "claude-haiku-4-5"], report.Rows.Select(r => r.Key));
        Assert.Equal(StopReasons.All.Count, report.StopReasons.Count);
        Assert.Equal(5, report.StopReasons[StopReason.ToolUse]);
        Assert.Equal(1, report.StopReasons[StopReason.MaxTokens]);
        Assert.Equal(0, report.StopReasons[StopReason.Refusal]);
        Assert.Equal(["maxTokens", "toolUse"], byStop.Rows.Select(r => r.Key));
    }

    [Fact]
    public async Task Unknown_buckets_stay_unknown_through_the_sums()
    {
        Add(Sonnet, 1, new TokenUsage(10, null, null, null, 5, null));
        Add(Sonnet, 1, new TokenUsage(20, null, null, null, null, null));

        var row = Assert.Single((await Run(SummaryGrouping.Model)).Rows);

        Assert.Equal(30, row.Tokens.Input);
        Assert.Equal(5, row.Tokens.Output);
        Assert.Null(row.Tokens.CacheRead);
        Assert.Null(row.CacheHitRatio);
    }
}
