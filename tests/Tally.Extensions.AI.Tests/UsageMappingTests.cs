using Microsoft.Extensions.AI;
using Tally.Model;

namespace Tally.Extensions.AI.Tests;

public sealed class UsageMappingTests
{
    [Fact]
    public void Inclusive_input_loses_cache_reads_and_cache_writes_from_the_adapter_key()
    {
        var details = new UsageDetails
        {
            InputTokenCount = 1_000,
            CachedInputTokenCount = 700,
            OutputTokenCount = 50,
            AdditionalCounts = new() { ["CacheCreationInputTokens"] = 200 },
        };

        var usage = UsageMapping.ToBuckets(details, out var convention);

        Assert.Equal(new TokenUsage(100, 700, 200, null, 50, null), usage);
        Assert.Equal(UsageMapping.Convention.Standard, convention);
        Assert.Equal(details.InputTokenCount, usage.Input + usage.CacheRead + usage.CacheWrite5m);
    }

    [Fact]
    public void Reasoning_stays_inside_output_and_is_kept_as_its_part()
    {
        var usage = UsageMapping.ToBuckets(new UsageDetails { InputTokenCount = 10, OutputTokenCount = 500, ReasoningTokenCount = 320 }, out _);

        Assert.Equal(500, usage.Output);
        Assert.Equal(320, usage.Reasoning);
        Assert.Equal(10 + 500, usage.BilledTokens);
    }

    [Fact]
    public void Input_smaller_than_the_cache_is_exclusive_and_kept_as_reported()
    {
        // An older Anthropic adapter: input_tokens without cache reads and writes.
        var details = new UsageDetails
        {
            InputTokenCount = 12,
            CachedInputTokenCount = 90_000,
            OutputTokenCount = 800,
            AdditionalCounts = new() { ["CacheCreationInputTokens"] = 1_500 },
        };

        var usage = UsageMapping.ToBuckets(details, out var convention);

        Assert.Equal(new TokenUsage(12, 90_000, 1_500, null, 800, null), usage);
        Assert.True(convention.HasFlag(UsageMapping.Convention.ExclusiveInput));
    }

    [Fact]
    public void Counts_the_adapter_did_not_report_stay_unknown()
    {
        var usage = UsageMapping.ToBuckets(new UsageDetails { OutputTokenCount = 7 }, out _);

        Assert.Equal(new TokenUsage(null, null, null, null, 7, null), usage);
        Assert.Equal(TokenUsage.None, UsageMapping.ToBuckets(null, out _));
    }

    [Fact]
    public void Older_adapters_keys_for_cache_reads_and_reasoning_are_read()
    {
        var details = new UsageDetails
        {
            InputTokenCount = 300,
            OutputTokenCount = 90,
            AdditionalCounts = new()
            {
                ["InputTokenDetails.CachedTokenCount"] = 256,
                ["OutputTokenDetails.ReasoningTokenCount"] = 64,
            },
        };

        Assert.Equal(new TokenUsage(44, 256, null, null, 90, 64), UsageMapping.ToBuckets(details, out _));
    }

    [Fact]
    public void Reasoning_reported_outside_output_is_added_to_output()
    {
        var usage = UsageMapping.ToBuckets(new UsageDetails { InputTokenCount = 5, OutputTokenCount = 40, ReasoningTokenCount = 100 }, out var convention);

        Assert.Equal(140, usage.Output);
        Assert.Equal(100, usage.Reasoning);
        Assert.True(convention.HasFlag(UsageMapping.Convention.ReasoningOutsideOutput));
    }

    [Fact]
    public void Cumulative_snapshots_merge_to_the_last_never_the_sum()
    {
        UsageDetails? seen = null;
        seen = UsageMapping.Merge(seen, new UsageDetails { InputTokenCount = 100, OutputTokenCount = 1 });
        seen = UsageMapping.Merge(seen, new UsageDetails { InputTokenCount = 100, OutputTokenCount = 30 });
        seen = UsageMapping.Merge(seen, new UsageDetails { OutputTokenCount = 75, AdditionalCounts = new() { ["CacheCreationInputTokens"] = 20 } });

        Assert.Equal(100, seen.InputTokenCount);
        Assert.Equal(75, seen.OutputTokenCount);
        Assert.Equal(20, seen.AdditionalCounts!["CacheCreationInputTokens"]);
    }
}
