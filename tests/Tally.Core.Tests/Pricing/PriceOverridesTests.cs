using Tally.Model;
using Tally.Pricing;

namespace Tally.Core.Tests.Pricing;

public sealed class PriceOverridesTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tally-prices-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string json)
    {
        var path = Path.Combine(_folder, "prices.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void A_missing_file_means_no_overrides()
    {
        var catalog = PriceCatalog.Load(Path.Combine(_folder, "prices.json"));

        Assert.Null(catalog.OverridesPath);
        Assert.Equal(3m, catalog.Find("claude-sonnet-4-5", "anthropic")?.Rates.Input);
    }

    [Fact]
    public void An_override_changes_only_the_rates_it_states_for_every_form_of_the_name()
    {
        var path = Write("""{ "models": { "claude-sonnet-4-5": { "input": 2.5 } } }""");

        var catalog = PriceCatalog.Load(path);
        var price = catalog.Find("claude-sonnet-4-5-20250929", "anthropic");

        Assert.Equal(path, catalog.OverridesPath);
        Assert.NotNull(price);
        Assert.True(price.IsOverride);
        Assert.Equal(new PriceRates(2.5m, 15m, 0.3m, 3.75m, 6m), price.Rates);
        Assert.Equal(6m, Assert.Single(price.Tiers).Rates.Input);
        Assert.Same(price, catalog.Find("anthropic/claude-sonnet-4.5-latest", null));
        // 1000*2.5 + 1000*15 = 17500
        Assert.Equal(0.0175m, catalog.Cost("claude-sonnet-4-5", null, new TokenUsage(1_000, null, null, null, 1_000, null), 2_000));
        // The embedded catalog itself is untouched.
        Assert.Equal(3m, PriceCatalog.Embedded.Find("claude-sonnet-4-5", "anthropic")?.Rates.Input);
    }

    [Fact]
    public void An_override_adds_a_model_with_tiers_and_its_threshold_joins_the_thresholds()
    {
        var path = Write("""
            // Comments and trailing commas are allowed: people edit this file by hand.
            {
              "models": {
                "acme-coder-2": {
                  "input": 0.5, "output": 2, "cacheRead": 0.05,
                  "tiers": [ { "above": 64000, "input": 1, "output": 4 } ],
                },
              },
            }
            """);

        var catalog = PriceCatalog.Load(path);
        var price = catalog.Find("ACME-Coder-2", null);

        Assert.NotNull(price);
        Assert.True(price.IsOverride);
        Assert.Null(price.Provider);
        Assert.Contains(64_000L, catalog.ContextThresholds);
        Assert.DoesNotContain(64_000L, PriceCatalog.Embedded.ContextThresholds);
        // Above 64k: 10000*1 + 60000*0.05 (cache read carried from the base) + 1000*4 = 10000 + 3000 + 4000
        Assert.Equal(0.017m, catalog.Cost("acme-coder-2", "whatever", new TokenUsage(10_000, 60_000, null, null, 1_000, null), 70_000));
        Assert.Null(PriceCatalog.Embedded.Find("acme-coder-2", null));
    }

    [Fact]
    public void A_new_claude_model_gets_anthropics_cache_write_rule()
    {
        var path = Write("""{ "models": { "claude-nova-9": { "input": 10, "output": 50, "cacheRead": 1 } } }""");

        var price = PriceCatalog.Load(path).Find("claude-nova-9-20270101", null);

        Assert.NotNull(price);
        Assert.Equal(12.5m, price.Rates.CacheWrite5m);
        Assert.Equal(20m, price.Rates.CacheWrite1h);
        Assert.Equal(PriceBuckets.CacheWrite5m | PriceBuckets.CacheWrite1h, price.Derived);
    }

    [Fact]
    public void An_override_limited_to_a_provider_leaves_other_channels_alone()
    {
        var path = Write("""{ "models": { "claude-opus-4-8": { "provider": "amazon-bedrock", "input": 9 } } }""");

        var catalog = PriceCatalog.Load(path);

        Assert.Equal(9m, catalog.Find("us.anthropic.claude-opus-4-8-v1:0", "amazon-bedrock")?.Rates.Input);
        Assert.Equal(5m, catalog.Find("claude-opus-4-8", "anthropic")?.Rates.Input);
    }

    [Fact]
    public void A_provider_limited_new_model_applies_only_to_that_provider()
    {
        var path = Write("""{ "models": { "llama3.1:8b": { "provider": "ollama", "input": 0, "output": 0 } } }""");

        var catalog = PriceCatalog.Load(path);

        Assert.Equal(0m, catalog.Cost("llama3.1:8b", "ollama", new TokenUsage(500, null, null, null, 500, null), 500));
        Assert.Null(catalog.Find("llama3.1:8b", "groq"));
    }

    [Fact]
    public void Aliases_map_a_name_to_a_catalog_model()
    {
        var path = Write("""{ "aliases": { "sonnet": "claude-sonnet-4-5" } }""");

        var catalog = PriceCatalog.Load(path);

        Assert.Same(catalog.Find("claude-sonnet-4-5", null), catalog.Find("sonnet", null));
        Assert.Null(PriceCatalog.Embedded.Find("sonnet", null));
    }

    [Theory]
    [InlineData("{ \"models\": { \"x\": { \"input\": 1, } ", "is not valid JSON (line 1, byte")]
    [InlineData("[]", "is invalid: the top level must be an object")]
    [InlineData("{ \"model\": {} }", "is invalid: \"model\" is not a known property")]
    [InlineData("{ \"models\": { \"x\": { \"cacheWrite\": 1 } } }", "is invalid: models.x.cacheWrite is not a known property")]
    [InlineData("{ \"models\": { \"x\": { \"input\": -1 } } }", "is invalid: models.x.input must be a non-negative number")]
    [InlineData("{ \"models\": { \"x\": { \"input\": \"3\" } } }", "is invalid: models.x.input must be a non-negative number")]
    [InlineData("{ \"models\": { \"x\": { } } }", "is invalid: models.x states no rate")]
    [InlineData("{ \"models\": { \"x\": { \"input\": 1, \"tiers\": [ { \"input\": 2 } ] } } }", "is invalid: models.x.tiers[0] has no \"above\" threshold")]
    [InlineData("{ \"models\": { \"x\": { \"input\": 1, \"tiers\": [ { \"above\": 1.5 } ] } } }", "is invalid: models.x.tiers[0].above must be a positive whole number")]
    [InlineData("{ \"aliases\": { \"a\": 3 } }", "is invalid: aliases.a must map a model name to a model name")]
    public void A_malformed_file_is_an_error_of_one_sentence_naming_the_file_and_the_problem(string json, string problem)
    {
        var path = Write(json);

        var e = Assert.Throws<PriceOverridesException>(() => PriceCatalog.Load(path));

        Assert.Equal(path, e.Path);
        Assert.StartsWith($"Price overrides file '{path}' {problem}", e.Message, StringComparison.Ordinal);
        Assert.EndsWith(".", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(". ", e.Message.Replace(path, "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Two_entries_for_the_same_catalog_model_are_an_error()
    {
        var path = Write("""{ "models": { "claude-sonnet-4-5": { "input": 1 }, "claude-sonnet-4-5-20250929": { "input": 2 } } }""");

        var e = Assert.Throws<PriceOverridesException>(() => PriceCatalog.Load(path));

        Assert.Contains("claude-sonnet-4-5-20250929", e.Message, StringComparison.Ordinal);
    }
}
