using Tally.Model;

namespace Tally.Extensions.AI;

/// <summary>One model's usage over a run, in Tally's disjoint buckets, with the cost the runtime stated.</summary>
/// <param name="Usage">Token counts in disjoint buckets (input is fresh input; unknown is null).</param>
/// <param name="Cost">The cost in USD the runtime stated, or null.</param>
public sealed record ModelUsage(TokenUsage Usage, decimal? Cost = null)
{
    /// <summary>
    /// From Anthropic's usage fields (the Claude Agent SDK's <c>modelUsage</c> entries), where
    /// <c>input_tokens</c> already excludes the cache: input as is, cache reads as is, cache
    /// creation as 5-minute cache writes (the SDK does not split it by time-to-live), output as is.
    /// </summary>
    public static ModelUsage FromAnthropic(long? inputTokens, long? outputTokens, long? cacheReadInputTokens, long? cacheCreationInputTokens, decimal? costUsd = null) =>
        new(new TokenUsage(inputTokens, cacheReadInputTokens, cacheCreationInputTokens, null, outputTokens, null), costUsd);
}
