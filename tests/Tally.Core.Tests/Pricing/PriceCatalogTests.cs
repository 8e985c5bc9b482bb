using Tally.Model;
using Tally.Pricing;

namespace Tally.Core.Tests.Pricing;

// Expected rates below are copied by hand from src/Tally.Core/Pricing/catalog.json (and agree with
// the providers' published price pages); expected costs are worked out by hand from them.
public sealed class PriceCatalogTests
{
    private static readonly PriceCatalog Catalog = PriceCatalog.Embedded;

    private static TokenUsage Usage(long? input = null, long? cacheRead = null, long? write5m = null, long? write1h = null, long? output = null, long? reasoning = null) =>
        new(input, cacheRead, write5m, write1h, output, reasoning);

    [Fact]
    public void Provenance_names_the_package_its_version_and_the_generation_day()
    {
        var p = Catalog.Provenance;

        Assert.Equal("@pydantic/genai-prices", p.Package);
        Assert.Matches(@"^\d+\.\d+\.\d+", p.Version);
        Assert.True(p.Generated >= new DateOnly(2025, 1, 1) && p.Generated <= DateOnly.FromDateTime(DateTime.UtcNow.AddDays(1)));
        Assert.Null(Catalog.OverridesPath);
    }

    [Fact]
    public void Catalog_holds_many_models_every_one_with_an_input_or_output_rate_and_no_negative_rate()
    {
        Assert.True(Catalog.Models.Count > 500, $"only {Catalog.Models.Count} models");
        Assert.True(Catalog.Models.Select(m => m.Provider).Distinct().Count() >= 10);
        foreach (var m in Catalog.Models)
        {
            Assert.True(m.Rates.Input is not null || m.Rates.Output is not null, m.ToString());
            foreach (var rates in m.Tiers.Select(t => t.Rates).Prepend(m.Rates))
            {
                Assert.All(new[] { rates.Input, rates.Output, rates.CacheRead, rates.CacheWrite5m, rates.CacheWrite1h },
                    r => Assert.True(r is null or >= 0m, m.ToString()));
            }
        }
    }

    [Fact]
    public void Claude_sonnet_4_5_has_its_published_rates_and_a_long_context_tier_above_200k()
    {
        var price = Catalog.Find("claude-sonnet-4-5", "anthropic");

        Assert.NotNull(price);
        Assert.Equal("anthropic", price.Provider);
        Assert.Equal(new PriceRates(3m, 15m, 0.3m, 3.75m, 6m), price.Rates);
        var tier = Assert.Single(price.Tiers);
        Assert.Equal(200_000, tier.AboveContextTokens);
        Assert.Equal(new PriceRates(6m, 22.5m, 0.6m, 7.5m, 12m), tier.Rates);
        Assert.Equal(PriceBuckets.None, price.Derived);
        Assert.False(price.IsOverride);
    }

    [Fact]
    public void Gpt_5_has_its_cached_input_rate()
    {
        var price = Catalog.Find("gpt-5", "openai");

        Assert.NotNull(price);
        Assert.Equal(1.25m, price.Rates.Input);
        Assert.Equal(0.125m, price.Rates.CacheRead);
        Assert.Equal(10m, price.Rates.Output);
        Assert.Null(price.Rates.CacheWrite5m);
        Assert.Empty(price.Tiers);
    }

    [Fact]
    public void Cost_is_the_exact_decimal_sum_of_every_bucket_at_its_rate()
    {
        // claude-sonnet-4-5: 3 in, 0.3 cache read, 3.75 5m write, 6 1h write, 15 out (per million).
        var usage = Usage(input: 1_234, cacheRead: 50_000, write5m: 10_000, write1h: 20_000, output: 5_678, reasoning: 2_000);
        // 1234*3 + 50000*0.3 + 10000*3.75 + 20000*6 + 5678*15 = 3702 + 15000 + 37500 + 120000 + 85170
        const decimal expected = 261_372m / 1_000_000m;

        var cost = Catalog.Cost("claude-sonnet-4-5-20250929", "anthropic", usage, usage.ContextTokens);

        Assert.Equal(0.261372m, expected);
        Assert.Equal(expected, cost);
    }

    [Fact]
    public void Reasoning_is_not_priced_on_top_of_output()
    {
        var with = Catalog.Cost("gpt-5", "openai", Usage(input: 100, output: 1_000, reasoning: 800), 100);
        var without = Catalog.Cost("gpt-5", "openai", Usage(input: 100, output: 1_000), 100);

        // 100*1.25 + 1000*10 = 10125 per million.
        Assert.Equal(0.010125m, with);
        Assert.Equal(without, with);
    }

    [Fact]
    public void Gpt_5_cache_reads_are_billed_at_the_cached_input_rate()
    {
        // 10000*1.25 + 90000*0.125 + 500*10 = 12500 + 11250 + 5000
        var cost = Catalog.Cost("gpt-5-2025-08-07", "openai", Usage(input: 10_000, cacheRead: 90_000, output: 500), 100_000);

        Assert.Equal(0.02875m, cost);
    }

    [Fact]
    public void Context_exactly_at_the_threshold_is_base_price_and_one_token_above_is_the_tier_for_every_bucket()
    {
        var usage = Usage(input: 100_001, cacheRead: 100_000, output: 1_000);

        var atThreshold = Catalog.Cost("claude-sonnet-4-5", "anthropic", usage, 200_000);
        var above = Catalog.Cost("claude-sonnet-4-5", "anthropic", usage, 200_001);

        // base: 100001*3 + 100000*0.3 + 1000*15 = 300003 + 30000 + 15000
        Assert.Equal(0.345003m, atThreshold);
        // tier: 100001*6 + 100000*0.6 + 1000*22.5 = 600006 + 60000 + 22500
        Assert.Equal(0.682506m, above);
    }

    [Fact]
    public void Cost_is_linear_within_a_band_so_sums_of_calls_price_exactly()
    {
        var a = Usage(input: 1_000, cacheRead: 30_000, write5m: 2_000, output: 700);
        var b = Usage(input: 50, cacheRead: 120_000, write1h: 9_000, output: 4_000);

        var separately = Catalog.Cost("claude-sonnet-4-5", "anthropic", a, 250_000) + Catalog.Cost("claude-sonnet-4-5", "anthropic", b, 250_000);
        var summed = Catalog.Cost("claude-sonnet-4-5", "anthropic", a + b, 250_000);

        Assert.Equal(separately, summed);
    }

    [Fact]
    public void Context_thresholds_are_distinct_ascending_and_include_the_catalogs_tiers()
    {
        var thresholds = Catalog.ContextThresholds;

        Assert.Contains(200_000L, thresholds);
        Assert.Contains(128_000L, thresholds);
        Assert.Equal(thresholds.Order().Distinct(), thresholds);
        Assert.Equal(
            Catalog.Models.SelectMany(m => m.Tiers).Select(t => t.AboveContextTokens).Distinct().Order(),
            thresholds);
    }

    [Fact]
    public void Tiers_of_gemini_2_5_pro_switch_above_200k()
    {
        var price = Catalog.Find("gemini-2.5-pro", "google");

        Assert.NotNull(price);
        Assert.Equal(1.25m, price.RatesAt(200_000).Input);
        Assert.Equal(2.5m, price.RatesAt(200_001).Input);
        Assert.Equal(15m, price.RatesAt(1_000_000).Output);
    }

    [Fact]
    public void Unknown_model_has_no_price_and_no_cost()
    {
        Assert.Null(Catalog.Find("no-such-model-9000", null));
        Assert.Null(Catalog.Find("no-such-model-9000", "anthropic"));
        Assert.Null(Catalog.Cost("no-such-model-9000", null, Usage(input: 10, output: 10), 10));
        Assert.Null(Catalog.Find("", null));
        Assert.Null(Catalog.Find("   ", "openai"));
    }

    [Fact]
    public void Unreported_and_zero_buckets_cost_nothing()
    {
        Assert.Equal(0m, Catalog.Cost("gpt-5", "openai", TokenUsage.None, 0));
        // A cache-write count of zero needs no cache-write rate (gpt-5 has none).
        Assert.Equal(0.00125m, Catalog.Cost("gpt-5", "openai", Usage(input: 1_000, write5m: 0, output: null), 1_000));
    }

    [Fact]
    public void A_non_zero_bucket_without_a_rate_makes_the_cost_unknown_not_zero()
    {
        // OpenAI bills no cache writes, so a reported one cannot be priced.
        Assert.Null(Catalog.Cost("gpt-5", "openai", Usage(input: 1_000, write5m: 10, output: 10), 1_010));
    }

    [Fact]
    public void A_claude_model_without_a_1h_write_rate_gets_2x_input_and_without_a_5m_rate_gets_1_25x()
    {
        // Bedrock's regional Sonnet 4.5 lists 3.3 in, 4.125 5m write and no 1h write.
        var price = Catalog.Find("us.anthropic.claude-sonnet-4-5-20250929-v1:0", null);

        Assert.NotNull(price);
        Assert.Equal("aws", price.Provider);
        Assert.Equal(3.3m, price.Rates.Input);
        Assert.Equal(4.125m, price.Rates.CacheWrite5m);
        Assert.Equal(6.6m, price.Rates.CacheWrite1h);
        Assert.Equal(PriceBuckets.CacheWrite1h, price.Derived);
    }

    [Fact]
    public void Derived_1h_writes_follow_the_tier_input_rate()
    {
        // Vertex's Sonnet 4.5 lists 3 in (6 above 200k), no 1h write.
        var price = Catalog.Find("claude-sonnet-4-5@20250929", "google-vertex");

        Assert.NotNull(price);
        Assert.Equal("google", price.Provider);
        Assert.Equal(6m, price.Rates.CacheWrite1h);
        Assert.Equal(12m, price.RatesAt(300_000).CacheWrite1h);
    }

    [Fact]
    public void A_claude_model_without_cache_prices_leaves_cache_reads_unpriced()
    {
        // Bedrock's Claude 3 Opus lists only 15 in and 75 out.
        var price = Catalog.Find("anthropic.claude-3-opus-20240229-v1:0", "amazon-bedrock");

        Assert.NotNull(price);
        Assert.Null(price.Rates.CacheRead);
        Assert.Null(price.Rates.CacheWrite1h);
        Assert.Equal(0.09m, Catalog.Cost("anthropic.claude-3-opus-20240229-v1:0", "amazon-bedrock", Usage(input: 1_000, output: 1_000), 1_000));
        Assert.Null(Catalog.Cost("anthropic.claude-3-opus-20240229-v1:0", "amazon-bedrock", Usage(input: 1_000, cacheRead: 5, output: 1_000), 1_005));
    }

    [Fact]
    public void Other_providers_bill_cache_reads_as_input_when_no_discount_is_listed()
    {
        // gpt-4o-2024-05-13: 5 in, 15 out, no cached-input price.
        var price = Catalog.Find("gpt-4o-2024-05-13", "openai");

        Assert.NotNull(price);
        Assert.Equal(5m, price.Rates.CacheRead);
        Assert.Equal(PriceBuckets.CacheRead, price.Derived);
        // 1000*5 + 3000*5 + 100*15 = 21500
        Assert.Equal(0.0215m, Catalog.Cost("gpt-4o-2024-05-13", "openai", Usage(input: 1_000, cacheRead: 3_000, output: 100), 4_000));
    }

    [Fact]
    public void The_provider_picks_the_channel_price_and_without_one_the_maker_price_is_used()
    {
        var direct = Catalog.Find("claude-opus-4-8", null);
        var bedrock = Catalog.Find("claude-opus-4-8", "amazon-bedrock");

        Assert.Equal("anthropic", direct?.Provider);
        Assert.Equal(5m, direct?.Rates.Input);
        Assert.Equal("aws", bedrock?.Provider);
        Assert.Equal(5.5m, bedrock?.Rates.Input);
    }

    [Fact]
    public void An_unknown_provider_is_ignored_rather_than_making_the_model_unpriced()
    {
        Assert.Same(Catalog.Find("claude-sonnet-4-5", "anthropic"), Catalog.Find("claude-sonnet-4-5", "some-gateway"));
    }

    [Fact]
    public void Azure_falls_back_to_openai_as_upstream_lists()
    {
        var price = Catalog.Find("gpt-5", "azure");

        Assert.NotNull(price);
        Assert.Equal("openai", price.Provider);
    }

    [Fact]
    public void Public_parameterless_constructor_is_the_embedded_catalog()
    {
        var catalog = new PriceCatalog();

        Assert.Equal(Catalog.Models.Count, catalog.Models.Count);
        Assert.Equal(Catalog.ContextThresholds, catalog.ContextThresholds);
        Assert.Same(PriceCatalog.Embedded, PriceCatalog.Load(null));
    }
}
