using Tally.Pricing;

namespace Tally.Core.Tests.Pricing;

public sealed class ModelNameTests
{
    private static readonly PriceCatalog Catalog = PriceCatalog.Embedded;

    private static string? Resolved(string model, string? provider = null) => Catalog.Find(model, provider)?.ToString();

    [Theory]
    [InlineData("claude-sonnet-4-5")]
    [InlineData("claude-sonnet-4-5-20250929")]
    [InlineData("claude-sonnet-4-5-2025-09-29")]
    [InlineData("Claude-Sonnet-4-5-20250929")]
    [InlineData("claude-sonnet-4.5")]
    [InlineData("anthropic/claude-sonnet-4.5")]
    [InlineData("anthropic/claude-sonnet-4-5-20250929")]
    [InlineData("openrouter/anthropic/claude-sonnet-4-5")]
    [InlineData("claude-sonnet-4-5-latest")]
    [InlineData("  claude-sonnet-4-5  ")]
    public void Forms_of_a_claude_name_resolve_to_the_anthropic_entry(string model)
    {
        Assert.Equal("anthropic/claude-sonnet-4-5", Resolved(model));
    }

    [Fact]
    public void A_dot_between_version_digits_is_a_dash()
    {
        Assert.Same(Catalog.Find("claude-opus-4-7", null), Catalog.Find("claude-opus-4.7", null));
        Assert.Equal("anthropic/claude-opus-4-7", Resolved("claude-opus-4.7"));
    }

    [Theory]
    [InlineData("anthropic.claude-sonnet-4-5-20250929-v1:0", "aws/regional.anthropic.claude-sonnet-4-5-20250929-v1:0")]
    [InlineData("us.anthropic.claude-opus-4-8-v1:0", "aws/regional.anthropic.claude-opus-4-8-v1:0")]
    [InlineData("eu.anthropic.claude-opus-4-8-v1:0", "aws/regional.anthropic.claude-opus-4-8-v1:0")]
    [InlineData("global.anthropic.claude-opus-4-8-v1:0", "aws/global.anthropic.claude-opus-4-8-v1:0")]
    [InlineData("us.anthropic.claude-3-5-sonnet-20241022-v2:0", "aws/regional.anthropic.claude-3-5-sonnet-20241022-v2:0")]
    public void Bedrock_names_resolve_to_the_bedrock_entry_of_their_region_class(string model, string expected)
    {
        Assert.Equal(expected, Resolved(model));
        Assert.Equal(expected, Resolved(model, "amazon-bedrock"));
    }

    [Fact]
    public void Bedrock_global_and_regional_profiles_have_their_own_prices()
    {
        Assert.Equal(5m, Catalog.Find("global.anthropic.claude-opus-4-8-v1:0", null)?.Rates.Input);
        Assert.Equal(5.5m, Catalog.Find("us.anthropic.claude-opus-4-8-v1:0", null)?.Rates.Input);
    }

    [Theory]
    [InlineData("claude-sonnet-4-5@20250929", "google-vertex", "google/claude-sonnet-4-5")]
    [InlineData("claude-opus-4-7@default", "vertex", "google/claude-opus-4-7")]
    [InlineData("claude-sonnet-4-5@20250929", null, "google/claude-sonnet-4-5")]
    public void Vertex_version_suffixes_are_dropped_and_imply_google(string model, string? provider, string expected)
    {
        Assert.Equal(expected, Resolved(model, provider));
    }

    [Theory]
    [InlineData("models/gemini-2.5-pro", "google/gemini-2.5-pro")]
    [InlineData("google/gemini-2.5-pro", "google/gemini-2.5-pro")]
    [InlineData("gemini-2.5-pro-preview-06-05", "google/gemini-2.5-pro")]
    [InlineData("openai/gpt-5", "openai/gpt-5")]
    [InlineData("gpt-5-2025-08-07", "openai/gpt-5")]
    [InlineData("gpt-5-codex", "openai/gpt-5")]
    [InlineData("gpt-5.1-2025-11-13", "openai/gpt-5.1")]
    [InlineData("gpt-5-1", "openai/gpt-5.1")]
    public void Provider_prefixes_and_dates_are_dropped(string model, string expected)
    {
        Assert.Equal(expected, Resolved(model));
    }

    [Theory]
    [InlineData("gpt-5.1", "openai/gpt-5.1")]
    [InlineData("gpt-5", "openai/gpt-5")]
    [InlineData("claude-opus-5", "anthropic/claude-opus-5")]
    [InlineData("claude-opus-5.5", "anthropic/claude-opus-5-5")]
    public void A_name_ending_in_a_digit_never_prices_a_longer_version(string model, string expected)
    {
        Assert.Equal(expected, Resolved(model));
    }

    [Theory]
    [InlineData("gpt-5.9")]
    [InlineData("gpt-5-9-codex")]
    [InlineData("claude-opus-5-1")]
    [InlineData("claude-sonnet-4-7")]
    [InlineData("claude-sonnet-4-5-1")]
    [InlineData("claude")]
    [InlineData("sonnet")]
    [InlineData("gpt-5-turbo-ultra")]
    public void Versions_and_names_the_catalog_lacks_are_unknown(string model)
    {
        Assert.Null(Catalog.Find(model, null));
    }

    [Theory]
    [InlineData("claude-2.1", "anthropic/claude-2")]
    [InlineData("claude-3-5-sonnet-latest", "anthropic/claude-3-5-sonnet")]
    [InlineData("sonnet-4.5", "anthropic/claude-sonnet-4-5")]
    [InlineData("haiku-4-5", "anthropic/claude-haiku-4-5")]
    public void The_alias_table_covers_names_the_rules_cannot(string model, string expected)
    {
        Assert.Equal(expected, Resolved(model));
    }

    [Fact]
    public void A_dated_name_with_its_own_price_keeps_it()
    {
        // gpt-4o-2024-05-13 (5 in) is priced apart from gpt-4o (2.5 in).
        Assert.Equal(5m, Catalog.Find("gpt-4o-2024-05-13", "openai")?.Rates.Input);
        Assert.Equal(2.5m, Catalog.Find("gpt-4o", "openai")?.Rates.Input);
        Assert.Equal(2.5m, Catalog.Find("gpt-4o-2024-08-06", "openai")?.Rates.Input);
    }

    [Theory]
    [InlineData("us.anthropic.claude-3-5-sonnet-20241022-v2:0", "claude-3-5-sonnet-20241022", "aws")]
    [InlineData("global.anthropic.claude-opus-4-8-v1:0", "global.claude-opus-4-8", "aws")]
    [InlineData("anthropic/claude-opus-4.7", "claude-opus-4-7", "anthropic")]
    [InlineData("claude-sonnet-4-5@20250929", "claude-sonnet-4-5", "google")]
    [InlineData("models/gemini-2.5-flash", "gemini-2-5-flash", "google")]
    [InlineData("meta-llama/Llama-3.3-70B-Instruct", "meta-llama/llama-3-3-70b-instruct", null)]
    [InlineData("@cf/meta/llama-3.1-8b-instruct", "@cf/meta/llama-3-1-8b-instruct", null)]
    [InlineData("GPT-5.1", "gpt-5-1", null)]
    public void Normalize_applies_the_readme_rules(string raw, string key, string? hint)
    {
        Assert.Equal(new ModelName.Normalized(key, hint), ModelName.Normalize(raw));
    }

    [Theory]
    [InlineData("claude-sonnet-4-5-20250929", "claude-sonnet-4-5")]
    [InlineData("gpt-5-1-2025-11-13", "gpt-5-1")]
    [InlineData("claude-x-20251399", null)]
    [InlineData("gpt-4-0613", null)]
    [InlineData("gpt-5", null)]
    public void Only_real_calendar_dates_are_date_suffixes(string key, string? undated)
    {
        Assert.Equal(undated, ModelName.WithoutDate(key));
    }

    [Theory]
    [InlineData("claude-sonnet-4-5", "claude-sonnet-4-5-latest", true)]
    [InlineData("claude-sonnet-4", "claude-sonnet-4-thinking", true)]
    [InlineData("claude-sonnet-4", "claude-sonnet-4-5", false)]
    [InlineData("gpt-5", "gpt-5-1", false)]
    [InlineData("gpt-5", "gpt-5", false)]
    [InlineData("gpt-5", "gpt-50", false)]
    [InlineData("claude-sonnet-4-2025", "claude-sonnet-4-20250514", false)]
    public void A_declared_prefix_covers_a_longer_name_only_at_a_dash_and_never_across_a_version(string prefix, string key, bool covers)
    {
        Assert.Equal(covers, ModelName.PrefixCovers(prefix, key));
    }
}
