using Tally.Ledger;

namespace Tally.Reports.Hotspots;

/// <summary>What a hotspots report covers and how it is cut.</summary>
/// <param name="Filter">Which calls (and so which tool results: those their calls requested).</param>
/// <param name="RankBy">What orders the rows.</param>
/// <param name="Dimensions">Which tables, in this order.</param>
/// <param name="Limit">How many rows per table at most; null for all.</param>
/// <param name="CostMode">Where call costs come from.</param>
public sealed record HotspotsOptions(
    CallFilter Filter,
    HotspotRanking RankBy,
    IReadOnlyList<HotspotDimension> Dimensions,
    int? Limit = HotspotsOptions.DefaultLimit,
    CostMode CostMode = CostMode.Auto)
{
    /// <summary>Rows per table unless asked otherwise.</summary>
    public const int DefaultLimit = 10;
}
