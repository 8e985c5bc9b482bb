using Tally.Ledger;

namespace Tally.Reports;

/// <summary>What a summary covers and how it is cut.</summary>
/// <param name="Filter">Which calls.</param>
/// <param name="GroupBy">What the rows are.</param>
/// <param name="TimeZone">Where day, week and month boundaries fall.</param>
/// <param name="CostMode">Where costs come from.</param>
public sealed record SummaryOptions(
    CallFilter Filter,
    SummaryGrouping GroupBy,
    TimeZoneInfo TimeZone,
    CostMode CostMode = CostMode.Auto);
