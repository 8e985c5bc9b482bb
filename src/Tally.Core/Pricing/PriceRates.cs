using Tally.Model;

namespace Tally.Pricing;

/// <summary>
/// USD per million tokens for each billed bucket of <see cref="TokenUsage"/>; null where the model
/// has no rate for the bucket. Reasoning has no rate: it is billed inside output.
/// </summary>
/// <param name="Input">Fresh input.</param>
/// <param name="Output">Output, reasoning included.</param>
/// <param name="CacheRead">Input served from the prompt cache.</param>
/// <param name="CacheWrite5m">Input written to the cache with a five-minute lifetime (or an unstated one).</param>
/// <param name="CacheWrite1h">Input written to the cache with a one-hour lifetime.</param>
public sealed record PriceRates(
    decimal? Input,
    decimal? Output,
    decimal? CacheRead,
    decimal? CacheWrite5m,
    decimal? CacheWrite1h)
{
    /// <summary>
    /// The cost of <paramref name="usage"/> at these rates, or null when a bucket with a
    /// non-zero count has no rate. Unreported (null) and zero buckets cost nothing.
    /// </summary>
    public decimal? Cost(TokenUsage usage)
    {
        // Sum count × per-million rate and divide once: every step is exact in decimal.
        var perMillion = 0m;
        if (!Add(ref perMillion, usage.Input, Input)
            || !Add(ref perMillion, usage.CacheRead, CacheRead)
            || !Add(ref perMillion, usage.CacheWrite5m, CacheWrite5m)
            || !Add(ref perMillion, usage.CacheWrite1h, CacheWrite1h)
            || !Add(ref perMillion, usage.Output, Output))
        {
            return null;
        }
        return perMillion / 1_000_000m;
    }

    private static bool Add(ref decimal sum, long? count, decimal? rate)
    {
        if (count is null or 0)
        {
            return true;
        }
        if (rate is null)
        {
            return false;
        }
        sum += count.Value * rate.Value;
        return true;
    }
}
