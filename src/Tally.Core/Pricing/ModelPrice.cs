namespace Tally.Pricing;

/// <summary>
/// A model's price: USD per million tokens for each bucket, and the tiers that replace those
/// rates above a context size. The rates are the ones <see cref="PriceCatalog.Cost"/> uses, after
/// the fallback rules of the pricing README (see <see cref="Derived"/>).
/// </summary>
public sealed class ModelPrice
{
    private ModelPrice(string id, string? provider, IReadOnlyList<string> keys, bool isOverride,
        PriceRates stated, IReadOnlyList<PriceTier> statedTiers, PriceRates rates, IReadOnlyList<PriceTier> tiers, PriceBuckets derived)
    {
        Id = id;
        Provider = provider;
        Keys = keys;
        IsOverride = isOverride;
        Stated = stated;
        StatedTiers = statedTiers;
        Rates = rates;
        Tiers = tiers;
        Derived = derived;
    }

    /// <summary>The catalog's id for the model (upstream's id), or the name an override gave it.</summary>
    public string Id { get; }

    /// <summary>The catalog provider whose price this is; null for an override that names no provider.</summary>
    public string? Provider { get; }

    /// <summary>Whether the user's overrides file set or changed this price.</summary>
    public bool IsOverride { get; }

    /// <summary>The rates up to the first tier's threshold.</summary>
    public PriceRates Rates { get; }

    /// <summary>The tiers, by ascending threshold; empty when the model has one price at every context size.</summary>
    public IReadOnlyList<PriceTier> Tiers { get; }

    /// <summary>
    /// The buckets whose rate came from a rule rather than the catalog or the overrides:
    /// Anthropic's cache-write multiples of input for Claude models, or cache reads billed as
    /// input for other providers' models.
    /// </summary>
    public PriceBuckets Derived { get; }

    /// <summary>The normalised names the model is indexed by (a trailing <c>*</c> marks a declared prefix).</summary>
    internal IReadOnlyList<string> Keys { get; }

    /// <summary>The rates as the catalog or overrides stated them, before the fallback rules.</summary>
    internal PriceRates Stated { get; }

    /// <summary>The tiers as stated, before the fallback rules.</summary>
    internal IReadOnlyList<PriceTier> StatedTiers { get; }

    /// <summary>
    /// The rates for a call of the given context size: the highest tier whose threshold the
    /// context exceeds, else <see cref="Rates"/>.
    /// </summary>
    public PriceRates RatesAt(long contextTokens)
    {
        var rates = Rates;
        foreach (var tier in Tiers)
        {
            if (contextTokens > tier.AboveContextTokens)
            {
                rates = tier.Rates;
            }
        }
        return rates;
    }

    /// <inheritdoc/>
    public override string ToString() => Provider is null ? Id : $"{Provider}/{Id}";

    /// <summary>Builds a price from stated rates, applying the fallback rules once, here.</summary>
    internal static ModelPrice Create(string id, string? provider, IReadOnlyList<string> keys, bool isOverride,
        PriceRates stated, IReadOnlyList<PriceTier> statedTiers)
    {
        var claude = provider == "anthropic" || keys.Any(ModelName.IsClaude);
        // Deriving cache writes only for a model that has prompt caching at all keeps the rule
        // from inventing a feature (Claude 2, some Bedrock Claude 3 entries have none).
        var caches = stated.CacheRead is not null || stated.CacheWrite5m is not null || stated.CacheWrite1h is not null;
        var derived = PriceBuckets.None;

        PriceRates Apply(PriceRates r, bool recordDerived)
        {
            if (r.Input is not decimal input)
            {
                return r;
            }
            if (claude)
            {
                if (!caches)
                {
                    return r;
                }
                // Anthropic's published rule: a 5-minute write costs 1.25x base input, a 1-hour
                // write 2x, in every tier.
                if (r.CacheWrite5m is null)
                {
                    r = r with { CacheWrite5m = input * 1.25m };
                    derived |= recordDerived ? PriceBuckets.CacheWrite5m : PriceBuckets.None;
                }
                if (r.CacheWrite1h is null)
                {
                    r = r with { CacheWrite1h = input * 2m };
                    derived |= recordDerived ? PriceBuckets.CacheWrite1h : PriceBuckets.None;
                }
            }
            else if (r.CacheRead is null)
            {
                // Every other provider counts cached prompt tokens inside input and bills them as
                // input unless it lists a discount (genai-prices computes them the same way).
                r = r with { CacheRead = input };
                derived |= recordDerived ? PriceBuckets.CacheRead : PriceBuckets.None;
            }
            return r;
        }

        var rates = Apply(stated, recordDerived: true);
        var tiers = statedTiers.Select(t => t with { Rates = Apply(t.Rates, recordDerived: false) }).ToArray();
        return new ModelPrice(id, provider, keys, isOverride, stated, statedTiers, rates, tiers, derived);
    }
}
