namespace Tally.Model;

/// <summary>
/// Token counts of one call (or a sum of calls) in disjoint buckets.
/// </summary>
/// <remarks>
/// The buckets never overlap: <see cref="Input"/> is fresh input only, so the billed total is
/// the plain sum of <see cref="Input"/>, <see cref="CacheRead"/>, the cache writes and
/// <see cref="Output"/>. <see cref="Reasoning"/> is the part of <see cref="Output"/> that was
/// reasoning and is informational. <c>null</c> means the source did not report the count;
/// <c>0</c> means it reported zero. A sum is <c>null</c> only when no addend reported the bucket.
/// </remarks>
public readonly record struct TokenUsage(
    long? Input,
    long? CacheRead,
    long? CacheWrite5m,
    long? CacheWrite1h,
    long? Output,
    long? Reasoning)
{
    /// <summary>No bucket reported.</summary>
    public static TokenUsage None => default;

    /// <summary>Every billed token: input, cache read, cache writes and output; unknown buckets count as absent.</summary>
    public long BilledTokens => (Input ?? 0) + (CacheRead ?? 0) + (CacheWrite5m ?? 0) + (CacheWrite1h ?? 0) + (Output ?? 0);

    /// <summary>The prompt the model saw: input + cache read + cache writes.</summary>
    public long ContextTokens => (Input ?? 0) + (CacheRead ?? 0) + (CacheWrite5m ?? 0) + (CacheWrite1h ?? 0);

    /// <summary>Cache writes of either time-to-live, or null when neither was reported.</summary>
    public long? CacheWrite => Add(CacheWrite5m, CacheWrite1h);

    /// <summary>Whether any bucket was reported at all.</summary>
    public bool IsReported => Input.HasValue || CacheRead.HasValue || CacheWrite5m.HasValue
        || CacheWrite1h.HasValue || Output.HasValue || Reasoning.HasValue;

    /// <summary>
    /// cacheRead / (input + cacheRead + cacheWrite*), or null when that denominator is zero or
    /// when cache reads were not reported at all (an unknown is not a 0% hit ratio).
    /// </summary>
    public double? CacheHitRatio
    {
        get
        {
            var context = ContextTokens;
            return context == 0 || CacheRead is null ? null : (double)CacheRead.Value / context;
        }
    }

    /// <summary>Bucket-wise sum that keeps "not reported" distinct from zero.</summary>
    public static TokenUsage operator +(TokenUsage a, TokenUsage b) => new(
        Add(a.Input, b.Input),
        Add(a.CacheRead, b.CacheRead),
        Add(a.CacheWrite5m, b.CacheWrite5m),
        Add(a.CacheWrite1h, b.CacheWrite1h),
        Add(a.Output, b.Output),
        Add(a.Reasoning, b.Reasoning));

    /// <summary>Adds two nullable counts: null only when both are null.</summary>
    public static long? Add(long? a, long? b) => a is null ? b : b is null ? a : a.Value + b.Value;
}
