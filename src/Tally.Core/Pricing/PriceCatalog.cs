using System.Collections.Concurrent;
using Tally.Model;

namespace Tally.Pricing;

/// <summary>
/// Prices from the embedded catalog, with the user's overrides on top. Pricing is a pure function
/// of (model, provider, usage, context size): a model the catalog does not know has no price,
/// never a price of zero.
/// </summary>
/// <remarks>
/// <para>The catalog is generated offline from <c>@pydantic/genai-prices</c> by
/// <c>scripts/update-prices.sh</c> and embedded in this assembly; nothing here touches the
/// network. Rates are <see cref="decimal"/> USD per million tokens and costs are exact.</para>
/// <para>How names are matched, which rates are derived and the overrides format are described in
/// <c>src/Tally.Core/Pricing/README.md</c>. Instances are immutable and safe to share between
/// threads.</para>
/// </remarks>
public sealed partial class PriceCatalog
{
    private static readonly Lazy<PriceCatalog> EmbeddedCatalog = new(() => new PriceCatalog());

    private readonly CatalogData data;
    private readonly Dictionary<ModelPrice, ModelPrice> replaced;
    private readonly Dictionary<string, List<ModelPrice>> added;
    private readonly IReadOnlyDictionary<string, string> userAliases;
    private readonly ConcurrentDictionary<(string Model, string? Provider), ModelPrice?> found = new();

    /// <summary>The embedded catalog without overrides (same as <see cref="Embedded"/>).</summary>
    public PriceCatalog()
        : this(EmbeddedData.Value, overrides: null, overridesPath: null)
    {
    }

    private PriceCatalog(CatalogData data, PriceOverrides? overrides, string? overridesPath)
    {
        this.data = data;
        OverridesPath = overrides is null ? null : overridesPath;
        userAliases = overrides?.Aliases ?? new Dictionary<string, string>();
        replaced = [];
        added = new(StringComparer.Ordinal);
        if (overrides is not null)
        {
            Apply(overrides, overridesPath!);
        }

        Models = [.. data.Models.Select(m => replaced.GetValueOrDefault(m, m)), .. added.Values.SelectMany(v => v).Distinct()];
        ContextThresholds = Models.SelectMany(m => m.Tiers).Select(t => t.AboveContextTokens).Distinct().Order().ToArray();
    }

    /// <summary>The embedded catalog without overrides, parsed once per process.</summary>
    public static PriceCatalog Embedded => EmbeddedCatalog.Value;

    /// <summary>
    /// The embedded catalog with the overrides in <paramref name="overridesPath"/> (normally
    /// <c>$TALLY_HOME/prices.json</c>) on top. A missing file, or a null path, means no overrides.
    /// </summary>
    /// <exception cref="PriceOverridesException">The file exists but cannot be read or is malformed.</exception>
    public static PriceCatalog Load(string? overridesPath)
    {
        if (overridesPath is null)
        {
            return Embedded;
        }
        var overrides = PriceOverrides.Read(overridesPath);
        return overrides is null ? Embedded : new PriceCatalog(EmbeddedData.Value, overrides, overridesPath);
    }

    /// <summary>Where the embedded catalog came from.</summary>
    public CatalogProvenance Provenance => data.Provenance;

    /// <summary>The overrides file whose prices are applied, or null when none was.</summary>
    public string? OverridesPath { get; }

    /// <summary>Every priced model: the catalog's (with overrides applied) and those the overrides add.</summary>
    public IReadOnlyList<ModelPrice> Models { get; }

    /// <summary>
    /// Ascending context sizes at which some model's price changes tier (for
    /// <see cref="Ledger.UsageQuery.ContextThresholds"/>).
    /// </summary>
    public IReadOnlyList<long> ContextThresholds { get; }

    /// <summary>The price of a model, or null when it is unknown.</summary>
    /// <param name="model">The model name as reported; normalised by the README's rules.</param>
    /// <param name="provider">
    /// The provider as reported (<c>anthropic</c>, <c>amazon-bedrock</c>, …), or null. A provider the
    /// catalog knows is searched first (it picks the Bedrock or Vertex price of a model); an
    /// unknown one is ignored.
    /// </param>
    public ModelPrice? Find(string model, string? provider)
    {
        if (string.IsNullOrWhiteSpace(model))
        {
            return null;
        }

        // A static factory with its state passed in: a lambda over `this` would be a new delegate per call.
        return found.GetOrAdd((model, provider), static (key, catalog) => catalog.Resolve(key.Model, key.Provider, withOverrides: true), this);
    }

    /// <summary>
    /// The cost in USD of <paramref name="usage"/> on a model whose calls had the given context
    /// size, or null when the model has no price.
    /// </summary>
    /// <remarks>
    /// Every bucket is billed at the rates of the tier that <paramref name="contextTokens"/>
    /// falls in (above a threshold, not at it), so the cost is linear in the counts and a sum of
    /// calls of one band prices exactly. The cost is also null when a bucket with a non-zero count
    /// has no rate even after the README's fallback rules; an unreported (null) bucket costs nothing.
    /// </remarks>
    public decimal? Cost(string model, string? provider, TokenUsage usage, long contextTokens) =>
        Find(model, provider)?.RatesAt(contextTokens).Cost(usage);

    private ModelPrice? Resolve(string model, string? provider, bool withOverrides)
    {
        var name = ModelName.Normalize(model);
        var candidates = ModelName.Candidates(name.Key, userAliases);
        var callProvider = provider is null ? null : ModelName.ProviderId(provider);

        if (withOverrides)
        {
            var want = callProvider ?? name.ProviderHint;
            foreach (var key in candidates)
            {
                if (added.TryGetValue(key, out var entries))
                {
                    var hit = entries.FirstOrDefault(e => e.Provider is not null && e.Provider == want)
                        ?? entries.FirstOrDefault(e => e.Provider is null);
                    if (hit is not null)
                    {
                        return hit;
                    }
                }
            }
        }

        foreach (var index in SearchOrder(callProvider, name.ProviderHint))
        {
            foreach (var key in candidates)
            {
                if (index.Match(key) is { } hit)
                {
                    return withOverrides ? replaced.GetValueOrDefault(hit, hit) : hit;
                }
            }
        }
        return null;
    }

    /// <summary>
    /// The caller's provider and the ones upstream lists as its fallbacks, then the provider the
    /// name implies (a Bedrock or <c>anthropic/</c> form), then the makers.
    /// </summary>
    private IEnumerable<ProviderIndex> SearchOrder(string? callProvider, string? hint)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        IEnumerable<ProviderIndex> With(string? id)
        {
            if (id is null || !data.Providers.TryGetValue(id, out var index) || !seen.Add(id))
            {
                yield break;
            }
            yield return index;
            foreach (var fallback in index.Fallbacks)
            {
                if (data.Providers.TryGetValue(fallback, out var f) && seen.Add(fallback))
                {
                    yield return f;
                }
            }
        }

        return With(callProvider).Concat(With(hint)).Concat(ModelName.Makers.SelectMany(With));
    }

    private void Apply(PriceOverrides overrides, string path)
    {
        foreach (var entry in overrides.Models)
        {
            var target = Resolve(entry.Name, entry.Provider, withOverrides: false);
            if (target is null)
            {
                var key = ModelName.Normalize(entry.Name).Key;
                var model = ModelPrice.Create(entry.Name, entry.Provider, [key], isOverride: true, entry.Rates, Tiers(entry, entry.Rates));
                if (!added.TryGetValue(key, out var list))
                {
                    added[key] = list = [];
                }
                if (list.Any(m => m.Provider == entry.Provider))
                {
                    throw new PriceOverridesException(path, $"is invalid: models.{entry.Name} is given twice");
                }
                list.Add(model);
                continue;
            }

            if (replaced.ContainsKey(target))
            {
                throw new PriceOverridesException(path, $"is invalid: models.{entry.Name} names {target} again, which another entry already overrides");
            }
            var s = target.Stated;
            var e = entry.Rates;
            var merged = new PriceRates(
                e.Input ?? s.Input, e.Output ?? s.Output, e.CacheRead ?? s.CacheRead, e.CacheWrite5m ?? s.CacheWrite5m, e.CacheWrite1h ?? s.CacheWrite1h);
            var tiers = entry.Tiers is null ? target.StatedTiers : Tiers(entry, merged);
            replaced[target] = ModelPrice.Create(target.Id, target.Provider, target.Keys, isOverride: true, merged, tiers);
        }
    }

    // An override tier states only what changes above its threshold; the rest is the entry's
    // base rates, so a tier is always a full price set like the catalog's.
    private static PriceTier[] Tiers(PriceOverrides.Entry entry, PriceRates baseRates) =>
        entry.Tiers?.Select(t => t with
        {
            Rates = new PriceRates(
                t.Rates.Input ?? baseRates.Input,
                t.Rates.Output ?? baseRates.Output,
                t.Rates.CacheRead ?? baseRates.CacheRead,
                t.Rates.CacheWrite5m ?? baseRates.CacheWrite5m,
                t.Rates.CacheWrite1h ?? baseRates.CacheWrite1h),
        }).ToArray() ?? [];
}
