using Microsoft.Extensions.AI;
using Tally.Model;

namespace Tally.Extensions.AI;

/// <summary>
/// Maps M.E.AI's <see cref="UsageDetails"/> onto Tally's disjoint buckets.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="UsageDetails.InputTokenCount"/> is the whole input, as the OpenTelemetry conventions
/// and current adapters define it (the Anthropic adapter sums input, cache reads and cache
/// writes), so fresh input = input − cache read − cache writes. Cache reads come from
/// <see cref="UsageDetails.CachedInputTokenCount"/>, else the adapters' older
/// <see cref="UsageDetails.AdditionalCounts"/> keys; cache writes, which have no property, from the
/// adapters' keys (<c>CacheCreationInputTokens</c>, ...), counted as 5-minute writes because no
/// adapter reports the time-to-live. Where the subtraction would go below zero the adapter
/// reported exclusive input (older Anthropic adapters): the reported input is kept as fresh input.
/// </para>
/// <para>
/// Output includes reasoning (<see cref="UsageDetails.ReasoningTokenCount"/> is the part of it that
/// was reasoning), as M.E.AI documents. An adapter that reports more reasoning than output counted
/// reasoning outside output (Gemini's thoughts): output becomes output + reasoning. A count the
/// adapter did not report stays unknown (null), never 0.
/// </para>
/// </remarks>
internal static class UsageMapping
{
    /// <summary>Adapter keys for cache reads, for adapters older than <see cref="UsageDetails.CachedInputTokenCount"/>.</summary>
    internal static readonly string[] CacheReadKeys = ["InputTokenDetails.CachedTokenCount", "CacheReadInputTokens", "CachedContentTokenCount"];

    /// <summary>Adapter keys for cache writes (Anthropic's adapter; third-party bridges).</summary>
    internal static readonly string[] CacheWriteKeys = ["CacheCreationInputTokens", "CacheWriteInputTokens"];

    /// <summary>Adapter keys for reasoning, for adapters older than <see cref="UsageDetails.ReasoningTokenCount"/>.</summary>
    internal static readonly string[] ReasoningKeys = ["OutputTokenDetails.ReasoningTokenCount"];

    /// <summary>Which of the adapter's conventions the numbers revealed.</summary>
    [Flags]
    internal enum Convention
    {
        Standard = 0,
        /// <summary>Input did not include the cache.</summary>
        ExclusiveInput = 1,
        /// <summary>Output did not include reasoning.</summary>
        ReasoningOutsideOutput = 2,
    }

    public static TokenUsage ToBuckets(UsageDetails? details, out Convention convention)
    {
        convention = Convention.Standard;
        if (details is null)
        {
            return TokenUsage.None;
        }

        var cacheRead = details.CachedInputTokenCount ?? First(details, CacheReadKeys);
        var cacheWrite = First(details, CacheWriteKeys);
        var reasoning = details.ReasoningTokenCount ?? First(details, ReasoningKeys);

        var input = details.InputTokenCount;
        if (input is { } whole)
        {
            var fresh = whole - (cacheRead ?? 0) - (cacheWrite ?? 0);
            if (fresh < 0)
            {
                convention |= Convention.ExclusiveInput;
            }
            else
            {
                input = fresh;
            }
        }

        var output = details.OutputTokenCount;
        if (output is { } generated && reasoning is { } thought && thought > generated)
        {
            convention |= Convention.ReasoningOutsideOutput;
            output = generated + thought;
        }

        return new TokenUsage(input, cacheRead, cacheWrite, null, output, reasoning);
    }

    /// <summary>
    /// Folds a streaming update's usage into what was seen so far, field by field keeping the
    /// largest value: right for adapters that send one usage at the end, for cumulative snapshots
    /// (Anthropic's <c>message_delta</c>), and for partial updates that each carry other fields
    /// (input at the start, output at the end); never a sum, which would double count snapshots.
    /// </summary>
    public static UsageDetails Merge(UsageDetails? seen, UsageDetails next)
    {
        if (seen is null)
        {
            return next;
        }

        var merged = new UsageDetails
        {
            InputTokenCount = Max(seen.InputTokenCount, next.InputTokenCount),
            OutputTokenCount = Max(seen.OutputTokenCount, next.OutputTokenCount),
            TotalTokenCount = Max(seen.TotalTokenCount, next.TotalTokenCount),
            CachedInputTokenCount = Max(seen.CachedInputTokenCount, next.CachedInputTokenCount),
            ReasoningTokenCount = Max(seen.ReasoningTokenCount, next.ReasoningTokenCount),
        };
        if (seen.AdditionalCounts is not null || next.AdditionalCounts is not null)
        {
            merged.AdditionalCounts = [];
            foreach (var counts in (ReadOnlySpan<AdditionalPropertiesDictionary<long>?>)[seen.AdditionalCounts, next.AdditionalCounts])
            {
                foreach (var (key, value) in counts ?? [])
                {
                    merged.AdditionalCounts[key] = merged.AdditionalCounts.TryGetValue(key, out var current) ? Math.Max(current, value) : value;
                }
            }
        }

        return merged;
    }

    private static long? Max(long? a, long? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);

    private static long? First(UsageDetails details, string[] keys)
    {
        if (details.AdditionalCounts is { } counts)
        {
            foreach (var key in keys)
            {
                if (counts.TryGetValue(key, out var value))
                {
                    return value;
                }
            }
        }

        return null;
    }
}
