using Tally.Model;

namespace Tally.Reports;

/// <summary>Usage and cost, grouped; the result of <see cref="SummaryQuery"/>.</summary>
/// <param name="GroupBy">What the rows are.</param>
/// <param name="TimeZone">The time zone of day boundaries (IANA id).</param>
/// <param name="Rows">The rows: time groupings in time order, the others by cost, highest first.</param>
/// <param name="Totals">All calls of the report.</param>
/// <param name="UnpricedModels">Models with no price, most calls first.</param>
/// <param name="StopReasons">How calls ended: a count for every <see cref="StopReason"/>.</param>
public sealed record SummaryReport(
    SummaryGrouping GroupBy,
    string TimeZone,
    IReadOnlyList<UsageRow> Rows,
    UsageRow Totals,
    IReadOnlyList<UnpricedModel> UnpricedModels,
    IReadOnlyDictionary<StopReason, long> StopReasons);
