namespace Tally.Pricing;

/// <summary>Billed token buckets, as flags (see <see cref="ModelPrice.Derived"/>).</summary>
[Flags]
public enum PriceBuckets
{
    /// <summary>No bucket.</summary>
    None = 0,
    /// <summary>Fresh input.</summary>
    Input = 1,
    /// <summary>Output, reasoning included.</summary>
    Output = 2,
    /// <summary>Cache reads.</summary>
    CacheRead = 4,
    /// <summary>Five-minute cache writes.</summary>
    CacheWrite5m = 8,
    /// <summary>One-hour cache writes.</summary>
    CacheWrite1h = 16,
}
