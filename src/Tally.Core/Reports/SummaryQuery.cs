using System.Globalization;
using Tally.Ledger;
using Tally.Model;
using Tally.Pricing;

namespace Tally.Reports;

/// <summary>
/// Builds a <see cref="SummaryReport"/>: the ledger sums tokens per (group, model, price band,
/// stop reason); this prices those sums and folds them into rows.
/// </summary>
/// <remarks>
/// Pricing sums is exact because every row of the ledger's answer lies within one price band of
/// one model, where the price is linear in each bucket. An unpriced model's calls add to
/// <see cref="UsageRow.UnpricedCalls"/> and never to a cost.
/// </remarks>
public static class SummaryQuery
{
    /// <summary>Runs the summary.</summary>
    public static async Task<SummaryReport> RunAsync(
        ILedger ledger, PriceCatalog prices, SummaryOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(prices);
        ArgumentNullException.ThrowIfNull(options);

        var query = new UsageQuery(options.Filter, LedgerGroupingFor(options.GroupBy), prices.ContextThresholds);
        var aggregates = await ledger.AggregateAsync(query, cancellationToken).ConfigureAwait(false);

        var rows = new Dictionary<string, UsageAccumulator>(StringComparer.Ordinal);
        var totals = new UsageAccumulator();
        var unpriced = new Dictionary<string, long>(StringComparer.Ordinal);
        var stopReasons = StopReasons.All.ToDictionary(r => r, _ => 0L);
        var keyOf = KeySelector(options);

        foreach (var aggregate in aggregates)
        {
            var cost = CostOf(aggregate, prices, options.CostMode);
            if (cost is null)
            {
                unpriced[aggregate.Model] = unpriced.GetValueOrDefault(aggregate.Model) + aggregate.Calls;
            }

            var key = keyOf(aggregate);
            if (!rows.TryGetValue(key, out var row))
            {
                rows[key] = row = new UsageAccumulator();
            }

            row.Add(aggregate, cost);
            totals.Add(aggregate, cost);
            stopReasons[aggregate.StopReason] += aggregate.Calls;
        }

        var ordered = rows.Select(r => r.Value.ToRow(r.Key));
        ordered = IsTimeGrouping(options.GroupBy)
            ? ordered.OrderBy(r => r.Key, StringComparer.Ordinal)
            : ordered.OrderByDescending(r => r.Cost ?? -1m).ThenByDescending(r => r.Tokens.BilledTokens).ThenBy(r => r.Key, StringComparer.Ordinal);

        var orderedRows = ordered.ToList();
        return new SummaryReport(
            options.GroupBy,
            options.TimeZone.Id,
            orderedRows,
            totals.ToRow(null),
            unpriced.OrderByDescending(u => u.Value).ThenBy(u => u.Key, StringComparer.Ordinal)
                .Select(u => new UnpricedModel(u.Key, u.Value)).ToList(),
            stopReasons,
            options.GroupBy == SummaryGrouping.Day ? CacheRegressions.Check(orderedRows) : null);
    }

    /// <summary>The cost of one aggregate under a cost mode, or null when it cannot be priced.</summary>
    internal static decimal? CostOf(UsageAggregate aggregate, PriceCatalog prices, CostMode mode)
    {
        if (mode != CostMode.Calculate && aggregate.HasReportedCost)
        {
            return aggregate.ReportedCost;
        }

        if (mode == CostMode.Reported)
        {
            return null;
        }

        // Any context size inside the band prices the same; take the band's smallest.
        var thresholds = prices.ContextThresholds;
        var context = aggregate.Band == 0 ? 0 : thresholds[aggregate.Band - 1] + 1;
        return prices.Cost(aggregate.Model, aggregate.Provider, aggregate.Tokens, context);
    }

    private static bool IsTimeGrouping(SummaryGrouping grouping) =>
        grouping is SummaryGrouping.Day or SummaryGrouping.Week or SummaryGrouping.Month;

    private static LedgerGrouping LedgerGroupingFor(SummaryGrouping grouping) => grouping switch
    {
        SummaryGrouping.Day or SummaryGrouping.Week or SummaryGrouping.Month => LedgerGrouping.QuarterHour,
        SummaryGrouping.Session => LedgerGrouping.Session,
        SummaryGrouping.Project => LedgerGrouping.Project,
        SummaryGrouping.User => LedgerGrouping.User,
        SummaryGrouping.Host => LedgerGrouping.Host,
        _ => LedgerGrouping.None,
    };

    private static Func<UsageAggregate, string> KeySelector(SummaryOptions options)
    {
        var zone = options.TimeZone;
        return options.GroupBy switch
        {
            SummaryGrouping.Model => a => a.Model,
            SummaryGrouping.Provider => a => a.Provider ?? "unknown",
            SummaryGrouping.Source => a => a.Source,
            SummaryGrouping.StopReason => a => a.StopReason.JsonName(),
            SummaryGrouping.Session or SummaryGrouping.Project or SummaryGrouping.User or SummaryGrouping.Host => a => a.Key ?? "unknown",
            SummaryGrouping.Day => a => LocalDate(a.Bucket, zone).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            SummaryGrouping.Week => a => WeekStart(LocalDate(a.Bucket, zone)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            SummaryGrouping.Month => a => LocalDate(a.Bucket, zone).ToString("yyyy-MM", CultureInfo.InvariantCulture),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.GroupBy, "Unknown grouping."),
        };
    }

    /// <summary>The local calendar date of a UTC quarter-hour.</summary>
    internal static DateOnly LocalDate(long quarterHour, TimeZoneInfo zone)
    {
        var instant = DateTimeOffset.FromUnixTimeMilliseconds(quarterHour * 900_000);
        return DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, zone).DateTime);
    }

    /// <summary>The Monday on or before a date (ISO weeks).</summary>
    internal static DateOnly WeekStart(DateOnly date) => date.AddDays(-(((int)date.DayOfWeek + 6) % 7));
}
