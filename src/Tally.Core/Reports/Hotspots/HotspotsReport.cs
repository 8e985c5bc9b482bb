using Tally.Model;

namespace Tally.Reports.Hotspots;

/// <summary>The result of <see cref="HotspotsQuery"/>: one ranked table per dimension asked for.</summary>
/// <param name="RankBy">What orders the rows.</param>
/// <param name="Tables">The tables, in the order asked for.</param>
/// <param name="ToolResults">How many tool results the report covers.</param>
/// <param name="Totals">Every call of the report.</param>
/// <param name="Attributed">What the tool results caused.</param>
/// <param name="Unattributed">The rest: totals − attributed, exactly.</param>
/// <param name="UnpricedCalls">Calls with no price: their tokens count, their cost is in no figure.</param>
/// <param name="Approximate">Whether any row's attribution was estimated.</param>
public sealed record HotspotsReport(
    HotspotRanking RankBy,
    IReadOnlyList<HotspotTable> Tables,
    long ToolResults,
    HotspotTotals Totals,
    HotspotTotals Attributed,
    HotspotTotals Unattributed,
    long UnpricedCalls,
    bool Approximate);

/// <summary>One table of a hotspots report.</summary>
/// <param name="Dimension">What the rows are.</param>
/// <param name="Rows">The top rows, in ranking order.</param>
/// <param name="TotalRows">How many rows there were before the limit.</param>
public sealed record HotspotTable(HotspotDimension Dimension, IReadOnlyList<HotspotRow> Rows, int TotalRows);

/// <summary>Tokens and cost of a part of a report.</summary>
/// <param name="Tokens">Token buckets.</param>
/// <param name="Cost">USD over priced calls; null when nothing was priced.</param>
public sealed record HotspotTotals(TokenUsage Tokens, decimal? Cost);
