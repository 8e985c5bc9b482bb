namespace Tally.Ledger;

/// <summary>An aggregate query over calls.</summary>
/// <param name="Filter">Which calls.</param>
/// <param name="Grouping">The extra grouping column, beside the pricing columns that every row carries.</param>
/// <param name="ContextThresholds">
/// Ascending context sizes (input + cache read + cache writes) where some model's price changes
/// tier. Each row carries the band its calls fall in: band <c>b</c> holds calls whose context is
/// above <c>ContextThresholds[b-1]</c> and at most <c>ContextThresholds[b]</c>; band 0 is at or
/// below the first threshold. Within a band the price is linear, so pricing a row's sums is exact.
/// </param>
public sealed record UsageQuery(
    CallFilter Filter,
    LedgerGrouping Grouping,
    IReadOnlyList<long> ContextThresholds);
