using System.Text.Json;

namespace Tally.Pricing;

/// <summary>
/// The user's price overrides file (<c>$TALLY_HOME/prices.json</c>), read strictly: an unknown
/// property is an error, because a misspelt rate that is silently ignored would price calls
/// wrongly without a trace. The format is in this folder's README.md.
/// </summary>
internal sealed class PriceOverrides
{
    private static readonly JsonDocumentOptions Options = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    private PriceOverrides(IReadOnlyList<Entry> models, IReadOnlyDictionary<string, string> aliases)
    {
        Models = models;
        Aliases = aliases;
    }

    /// <summary>The model entries, in file order.</summary>
    internal IReadOnlyList<Entry> Models { get; }

    /// <summary>Normalised alias → normalised name.</summary>
    internal IReadOnlyDictionary<string, string> Aliases { get; }

    /// <summary>One model entry: the rates and tiers it states, null where it states none.</summary>
    /// <param name="Name">The model name as written.</param>
    /// <param name="Provider">The catalog provider id it is limited to, if any.</param>
    /// <param name="Rates">The rates it states.</param>
    /// <param name="Tiers">Its tiers, each with only the rates it states; null when it has no <c>tiers</c> property.</param>
    internal sealed record Entry(string Name, string? Provider, PriceRates Rates, IReadOnlyList<PriceTier>? Tiers);

    /// <summary>Reads the file; null when it does not exist.</summary>
    /// <exception cref="PriceOverridesException">The file exists and is unreadable or malformed.</exception>
    internal static PriceOverrides? Read(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PriceOverridesException(path, $"could not be read ({e.Message.TrimEnd('.')})", e);
        }
        return Parse(path, text);
    }

    /// <summary>Parses overrides text; <paramref name="path"/> is only for messages.</summary>
    /// <exception cref="PriceOverridesException">The text is malformed.</exception>
    internal static PriceOverrides Parse(string path, string text)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text, Options);
        }
        catch (JsonException e)
        {
            throw new PriceOverridesException(path,
                $"is not valid JSON (line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1})", e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Invalid(path, "the top level must be an object with \"models\" and/or \"aliases\"");
            }

            var models = new List<Entry>();
            var aliases = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var property in root.EnumerateObject())
            {
                switch (property.Name)
                {
                    case "models":
                        ReadModels(path, property.Value, models);
                        break;
                    case "aliases":
                        ReadAliases(path, property.Value, aliases);
                        break;
                    default:
                        throw Invalid(path, $"\"{property.Name}\" is not a known property (expected \"models\" or \"aliases\")");
                }
            }
            return new PriceOverrides(models, aliases);
        }
    }

    private static void ReadModels(string path, JsonElement element, List<Entry> models)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw Invalid(path, "\"models\" must be an object keyed by model name");
        }
        foreach (var model in element.EnumerateObject())
        {
            var where = $"models.{model.Name}";
            if (string.IsNullOrWhiteSpace(model.Name))
            {
                throw Invalid(path, "a model name in \"models\" is empty");
            }
            if (model.Value.ValueKind != JsonValueKind.Object)
            {
                throw Invalid(path, $"{where} must be an object of rates");
            }

            string? provider = null;
            IReadOnlyList<PriceTier>? tiers = null;
            var rates = new PriceRates(null, null, null, null, null);
            foreach (var field in model.Value.EnumerateObject())
            {
                if (field.Name == "provider")
                {
                    if (field.Value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(field.Value.GetString()))
                    {
                        throw Invalid(path, $"{where}.provider must be a provider name");
                    }
                    provider = ModelName.ProviderId(field.Value.GetString()!);
                }
                else if (field.Name == "tiers")
                {
                    tiers = ReadTiers(path, where, field.Value);
                }
                else
                {
                    rates = WithRate(path, where, rates, field);
                }
            }

            if (rates == new PriceRates(null, null, null, null, null) && tiers is null)
            {
                throw Invalid(path, $"{where} states no rate");
            }
            models.Add(new Entry(model.Name, provider, rates, tiers));
        }
    }

    private static List<PriceTier> ReadTiers(string path, string where, JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Array)
        {
            throw Invalid(path, $"{where}.tiers must be an array");
        }
        var tiers = new List<PriceTier>();
        var index = 0;
        foreach (var tier in element.EnumerateArray())
        {
            var at = $"{where}.tiers[{index++}]";
            if (tier.ValueKind != JsonValueKind.Object)
            {
                throw Invalid(path, $"{at} must be an object");
            }
            long? above = null;
            var rates = new PriceRates(null, null, null, null, null);
            foreach (var field in tier.EnumerateObject())
            {
                if (field.Name == "above")
                {
                    if (field.Value.ValueKind != JsonValueKind.Number || !field.Value.TryGetInt64(out var threshold) || threshold <= 0)
                    {
                        throw Invalid(path, $"{at}.above must be a positive whole number of context tokens");
                    }
                    above = threshold;
                }
                else
                {
                    rates = WithRate(path, at, rates, field);
                }
            }
            if (above is null)
            {
                throw Invalid(path, $"{at} has no \"above\" threshold");
            }
            if (tiers.Any(t => t.AboveContextTokens == above))
            {
                throw Invalid(path, $"{where}.tiers has two tiers above {above}");
            }
            tiers.Add(new PriceTier(above.Value, rates));
        }
        tiers.Sort((a, b) => a.AboveContextTokens.CompareTo(b.AboveContextTokens));
        return tiers;
    }

    private static PriceRates WithRate(string path, string where, PriceRates rates, JsonProperty field)
    {
        decimal Rate()
        {
            // GetDecimal parses the JSON text itself, so "0.3" is exactly 0.3m.
            if (field.Value.ValueKind != JsonValueKind.Number || !field.Value.TryGetDecimal(out var value) || value < 0)
            {
                throw Invalid(path, $"{where}.{field.Name} must be a non-negative number of USD per million tokens");
            }
            return value;
        }

        return field.Name switch
        {
            "input" => rates with { Input = Rate() },
            "output" => rates with { Output = Rate() },
            "cacheRead" => rates with { CacheRead = Rate() },
            "cacheWrite5m" => rates with { CacheWrite5m = Rate() },
            "cacheWrite1h" => rates with { CacheWrite1h = Rate() },
            _ => throw Invalid(path,
                $"{where}.{field.Name} is not a known property (expected input, output, cacheRead, cacheWrite5m, cacheWrite1h, tiers or provider)"),
        };
    }

    private static void ReadAliases(string path, JsonElement element, Dictionary<string, string> aliases)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw Invalid(path, "\"aliases\" must be an object mapping a model name to another");
        }
        foreach (var alias in element.EnumerateObject())
        {
            if (alias.Value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(alias.Value.GetString()) || string.IsNullOrWhiteSpace(alias.Name))
            {
                throw Invalid(path, $"aliases.{alias.Name} must map a model name to a model name");
            }
            aliases[ModelName.Normalize(alias.Name).Key] = ModelName.Normalize(alias.Value.GetString()!).Key;
        }
    }

    private static PriceOverridesException Invalid(string path, string problem) => new(path, $"is invalid: {problem}");
}
