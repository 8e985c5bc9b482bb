using Tally.Model;

namespace Tally.Reports;

/// <summary>Usage and cost of a set of calls.</summary>
/// <param name="Key">What the row is (a model, a day, ...); null for totals.</param>
/// <param name="Calls">Billed API calls.</param>
/// <param name="Tokens">Token buckets (null where no call reported the bucket).</param>
/// <param name="Cost">USD cost of the priced calls; null when no call in the row could be priced.</param>
/// <param name="UnpricedCalls">Calls whose model has no price: their cost is not in <paramref name="Cost"/>.</param>
public sealed record UsageRow(string? Key, long Calls, TokenUsage Tokens, decimal? Cost, long UnpricedCalls)
{
    /// <summary>cacheRead / (input + cacheRead + cacheWrite*), or null when that is 0/0.</summary>
    public double? CacheHitRatio => Tokens.CacheHitRatio;
}
