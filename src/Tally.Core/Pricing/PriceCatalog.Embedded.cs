using System.Text.Json;

namespace Tally.Pricing;

// Reading the catalog that update-prices.sh generates and the build embeds. It is parsed once
// per process and shared by every PriceCatalog, which only layers overrides on top.
public sealed partial class PriceCatalog
{
    private const string ResourceName = "Tally.Pricing.catalog.json";

    private static readonly Lazy<CatalogData> EmbeddedData = new(LoadEmbedded);

    private static CatalogData LoadEmbedded()
    {
        using var stream = typeof(PriceCatalog).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded price catalog '{ResourceName}' is missing from the assembly.");
        using var document = JsonDocument.Parse(stream);
        return CatalogData.Parse(document.RootElement);
    }

    /// <summary>One provider's models, indexed by normalised name.</summary>
    internal sealed class ProviderIndex(string id, IReadOnlyList<string> fallbacks)
    {
        private readonly Dictionary<string, ModelPrice> exact = new(StringComparer.Ordinal);
        private readonly List<(string Prefix, ModelPrice Model)> prefixes = [];

        internal string Id { get; } = id;

        /// <summary>Providers upstream says to search when this one lacks a model (Azure → OpenAI, …).</summary>
        internal IReadOnlyList<string> Fallbacks { get; } = fallbacks;

        internal void Add(ModelPrice model)
        {
            foreach (var key in model.Keys)
            {
                var prefix = key.EndsWith('*');
                var name = prefix ? key[..^1] : key;
                // First entry wins, as upstream's first matching rule does.
                exact.TryAdd(name, model);
                if (prefix)
                {
                    prefixes.Add((name, model));
                }
            }
        }

        /// <summary>Call once all models are added: longer (more specific) prefixes are tried first.</summary>
        internal void Seal()
        {
            var ordered = prefixes.Select((p, i) => (p, i)).OrderByDescending(x => x.p.Prefix.Length).ThenBy(x => x.i).Select(x => x.p).ToList();
            prefixes.Clear();
            prefixes.AddRange(ordered);
        }

        /// <summary>The model with this exact key, else the one whose declared prefix covers it.</summary>
        internal ModelPrice? Match(string key)
        {
            if (exact.TryGetValue(key, out var model))
            {
                return model;
            }
            foreach (var (prefix, candidate) in prefixes)
            {
                if (ModelName.PrefixCovers(prefix, key))
                {
                    return candidate;
                }
            }
            return null;
        }
    }

    /// <summary>The parsed embedded catalog.</summary>
    internal sealed class CatalogData
    {
        private CatalogData(CatalogProvenance provenance, Dictionary<string, ProviderIndex> providers, IReadOnlyList<ModelPrice> models)
        {
            Provenance = provenance;
            Providers = providers;
            Models = models;
        }

        internal CatalogProvenance Provenance { get; }

        internal IReadOnlyDictionary<string, ProviderIndex> Providers { get; }

        /// <summary>Every model, in file order.</summary>
        internal IReadOnlyList<ModelPrice> Models { get; }

        internal static CatalogData Parse(JsonElement root)
        {
            var schema = root.GetProperty("schema").GetInt32();
            if (schema != 1)
            {
                throw new InvalidOperationException($"The embedded price catalog has schema {schema}; this build reads schema 1.");
            }

            var source = root.GetProperty("source");
            var provenance = new CatalogProvenance(
                source.GetProperty("package").GetString()!,
                source.GetProperty("version").GetString()!,
                DateOnly.ParseExact(source.GetProperty("generated").GetString()!, "yyyy-MM-dd"));

            var providers = new Dictionary<string, ProviderIndex>(StringComparer.Ordinal);
            foreach (var p in root.GetProperty("providers").EnumerateArray())
            {
                var id = p.GetProperty("id").GetString()!;
                var fallbacks = p.GetProperty("fallbacks").EnumerateArray().Select(f => f.GetString()!).ToArray();
                providers.Add(id, new ProviderIndex(id, fallbacks));
            }

            var models = new List<ModelPrice>();
            foreach (var m in root.GetProperty("models").EnumerateArray())
            {
                var provider = m.GetProperty("provider").GetString()!;
                var keys = m.GetProperty("names").EnumerateArray().Select(n => Key(n.GetString()!)).Distinct().ToArray();
                var tiers = m.TryGetProperty("tiers", out var t)
                    ? t.EnumerateArray().Select(x => new PriceTier(x.GetProperty("above").GetInt64(), Rates(x))).ToArray()
                    : [];
                var model = ModelPrice.Create(m.GetProperty("id").GetString()!, provider, keys, isOverride: false, Rates(m), tiers);
                providers[provider].Add(model);
                models.Add(model);
            }
            foreach (var index in providers.Values)
            {
                index.Seal();
            }
            return new CatalogData(provenance, providers, models);
        }

        /// <summary>A catalog name → its normalised key, keeping the <c>*</c> prefix mark.</summary>
        internal static string Key(string name) =>
            name.EndsWith('*') ? ModelName.Normalize(name[..^1]).Key + "*" : ModelName.Normalize(name).Key;

        private static PriceRates Rates(JsonElement e) => new(
            Rate(e, "input"), Rate(e, "output"), Rate(e, "cacheRead"), Rate(e, "cacheWrite5m"), Rate(e, "cacheWrite1h"));

        // GetDecimal parses the number's JSON text, so the catalog's "0.3" is exactly 0.3m.
        private static decimal? Rate(JsonElement e, string name) =>
            e.TryGetProperty(name, out var v) ? v.GetDecimal() : null;
    }
}
