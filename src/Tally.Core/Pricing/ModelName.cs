using System.Text.RegularExpressions;

namespace Tally.Pricing;

/// <summary>
/// Every rule that turns a model name as a log or SDK reports it into the keys the catalog is
/// indexed by, and the tables those rules read. They live in one place so a name that prices
/// wrongly can be traced to one rule; README.md in this folder lists them in order.
/// </summary>
/// <remarks>
/// Catalog names and reported names go through the same <see cref="Normalize"/>, so a rule
/// never has to be mirrored by hand. Matching is exact on the normalised key, or on a prefix
/// that the catalog declared for that model, at a <c>-</c> boundary; nothing is guessed from a
/// substring.
/// </remarks>
internal static partial class ModelName
{
    /// <summary>The marker kept on a Bedrock global cross-region name, which AWS prices apart from the regional ones.</summary>
    internal const string GlobalMarker = "global.";

    /// <summary>
    /// Aliases the rules cannot derive: normalised name → normalised name it stands for. Tried
    /// after the name itself, so a catalog entry always wins over an alias.
    /// </summary>
    internal static readonly IReadOnlyDictionary<string, string> Aliases = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        // Moving "-latest" pointers Anthropic documented; each names the model it pointed to
        // when it was retired or frozen.
        ["claude-sonnet-4-5-latest"] = "claude-sonnet-4-5",
        ["claude-sonnet-4-latest"] = "claude-sonnet-4",
        ["claude-opus-4-latest"] = "claude-opus-4",
        ["claude-opus-4-1-latest"] = "claude-opus-4-1",
        ["claude-haiku-4-5-latest"] = "claude-haiku-4-5",
        ["claude-3-5-sonnet-latest"] = "claude-3-5-sonnet",
        ["claude-3-7-sonnet-latest"] = "claude-3-7-sonnet",
        ["claude-3-5-haiku-latest"] = "claude-3-5-haiku",
        ["claude-3-opus-latest"] = "claude-3-opus",
        // Claude 2.0 and 2.1 share one price under "claude-2", which the version rule alone would
        // not let cover them.
        ["claude-2-0"] = "claude-2",
        ["claude-2-1"] = "claude-2",
        // Short names some tools write for Anthropic's models.
        ["sonnet-4-5"] = "claude-sonnet-4-5",
        ["sonnet-4"] = "claude-sonnet-4",
        ["opus-4-1"] = "claude-opus-4-1",
        ["opus-4"] = "claude-opus-4",
        ["haiku-4-5"] = "claude-haiku-4-5",
    };

    /// <summary>
    /// Provider names callers use → catalog provider ids. A name already equal to a catalog id
    /// needs no entry.
    /// </summary>
    internal static readonly IReadOnlyDictionary<string, string> ProviderAliases = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["amazon-bedrock"] = "aws",
        ["bedrock"] = "aws",
        ["aws-bedrock"] = "aws",
        ["amazon"] = "aws",
        ["google-vertex"] = "google",
        ["google-vertex-anthropic"] = "google",
        ["vertex"] = "google",
        ["vertex-ai"] = "google",
        ["vertex_ai"] = "google",
        ["gemini"] = "google",
        ["google-ai-studio"] = "google",
        ["azure-openai"] = "azure",
        ["azure_openai"] = "azure",
        ["xai"] = "x-ai",
        ["moonshot"] = "moonshotai",
        ["mistralai"] = "mistral",
        ["z-ai"] = "zai",
        ["zhipu"] = "zhipuai",
        ["together-ai"] = "together",
        ["together_ai"] = "together",
        ["togetherai"] = "together",
        ["fireworks-ai"] = "fireworks",
        ["fireworks_ai"] = "fireworks",
        ["copilot"] = "github-copilot",
    };

    /// <summary>
    /// Leading path segments stripped from a name (<c>anthropic/claude-…</c>, Gemini's
    /// <c>models/…</c>), with the provider each one implies (null: a router, no provider).
    /// </summary>
    internal static readonly IReadOnlyDictionary<string, string?> PathPrefixes = new Dictionary<string, string?>(StringComparer.Ordinal)
    {
        ["anthropic"] = "anthropic",
        ["openai"] = "openai",
        ["google"] = "google",
        ["models"] = "google",
        ["gemini"] = "google",
        ["vertex_ai"] = "google",
        ["vertex"] = "google",
        ["bedrock"] = "aws",
        ["amazon-bedrock"] = "aws",
        ["azure"] = "azure",
        ["x-ai"] = "x-ai",
        ["xai"] = "x-ai",
        ["deepseek"] = "deepseek",
        ["mistral"] = "mistral",
        ["mistralai"] = "mistral",
        ["moonshotai"] = "moonshotai",
        ["z-ai"] = "zai",
        ["openrouter"] = null,
    };

    /// <summary>
    /// Providers that make the models they sell, in the order a name with no provider is looked
    /// up in them. A reseller is used only when the caller names it.
    /// </summary>
    internal static readonly IReadOnlyList<string> Makers =
        ["anthropic", "openai", "google", "x-ai", "deepseek", "mistral", "moonshotai", "zai", "zhipuai", "minimax", "cohere"];

    /// <summary>A name in its catalog form and the provider the name itself implies, if any.</summary>
    internal readonly record struct Normalized(string Key, string? ProviderHint);

    /// <summary>
    /// The catalog form of a name: lower case; known provider path prefixes, Vertex's
    /// <c>@version</c>, and Bedrock's region, vendor and <c>-v1:0</c> parts removed (a global
    /// profile keeps <see cref="GlobalMarker"/>); a dot between digits becomes a dash. Date
    /// suffixes are kept here (some dated names have their own price); see <see cref="WithoutDate"/>.
    /// </summary>
    internal static Normalized Normalize(string name)
    {
        var s = name.Trim().ToLowerInvariant();
        string? hint = null;

        // Router and provider path prefixes, possibly stacked ("openrouter/anthropic/…"); the
        // innermost one names the model's provider.
        for (var slash = s.IndexOf('/', StringComparison.Ordinal); slash > 0; slash = s.IndexOf('/', StringComparison.Ordinal))
        {
            if (!PathPrefixes.TryGetValue(s[..slash], out var implied))
            {
                break;
            }
            hint = implied ?? hint;
            s = s[(slash + 1)..];
        }

        // Vertex names a version after '@' ("claude-sonnet-4-5@20250929", "@default"). A leading
        // '@' is something else (Cloudflare's "@cf/…") and stays.
        var at = s.IndexOf('@', StringComparison.Ordinal);
        if (at > 0)
        {
            s = s[..at];
            hint ??= "google";
        }

        var global = false;
        var bedrock = BedrockName().Match(s);
        if (bedrock.Success)
        {
            global = bedrock.Groups["region"].Value == "global";
            s = bedrock.Groups["model"].Value;
            hint ??= "aws";
            s = BedrockVersion().Replace(s, "");
        }
        else
        {
            // The colon form is Bedrock's alone, even when the vendor prefix was left off.
            s = BedrockColonVersion().Replace(s, "");
        }

        s = DotBetweenDigits().Replace(s, "-");
        return new Normalized(global ? GlobalMarker + s : s, hint);
    }

    /// <summary>The key without a trailing date (<c>-20250929</c>, <c>-2025-09-29</c>), or null when it has none.</summary>
    internal static string? WithoutDate(string key)
    {
        var m = DateSuffix().Match(key);
        if (!m.Success)
        {
            return null;
        }
        var digits = m.Groups["y"].Value + m.Groups["m"].Value + m.Groups["d"].Value;
        // Only a real calendar date is a date suffix; "-20251399" is part of the name.
        return DateOnly.TryParseExact(digits, "yyyyMMdd", out _) ? key[..m.Index] : null;
    }

    /// <summary>
    /// The keys to try for a name, most specific first: the name, without its date, without the
    /// Bedrock global marker, then what an alias maps each of those to.
    /// </summary>
    internal static List<string> Candidates(string key, IReadOnlyDictionary<string, string>? userAliases = null)
    {
        var keys = new List<string>(4);
        void Add(string? k)
        {
            if (!string.IsNullOrEmpty(k) && !keys.Contains(k))
            {
                keys.Add(k);
            }
        }

        Add(key);
        Add(WithoutDate(key));
        if (key.StartsWith(GlobalMarker, StringComparison.Ordinal))
        {
            var regional = key[GlobalMarker.Length..];
            Add(regional);
            Add(WithoutDate(regional));
        }

        foreach (var k in keys.ToArray())
        {
            if (userAliases is not null && userAliases.TryGetValue(k, out var user))
            {
                Add(user);
                Add(WithoutDate(user));
            }
            if (Aliases.TryGetValue(k, out var builtIn))
            {
                Add(builtIn);
            }
        }
        return keys;
    }

    /// <summary>The catalog provider id for a provider name as a caller gives it.</summary>
    internal static string ProviderId(string provider)
    {
        var p = provider.Trim().ToLowerInvariant();
        return ProviderAliases.TryGetValue(p, out var id) ? id : p;
    }

    /// <summary>
    /// Whether a declared prefix covers a longer name: the name continues with <c>-</c>, and
    /// when the prefix ends in a digit the next part must not start with one, so that
    /// <c>claude-opus-5</c> never prices <c>claude-opus-5-5</c> nor <c>gpt-5</c> <c>gpt-5-1</c>.
    /// </summary>
    internal static bool PrefixCovers(string prefix, string key)
    {
        if (key.Length <= prefix.Length + 1 || !key.StartsWith(prefix, StringComparison.Ordinal) || key[prefix.Length] != '-')
        {
            return false;
        }
        return !(char.IsAsciiDigit(prefix[^1]) && char.IsAsciiDigit(key[prefix.Length + 1]));
    }

    /// <summary>Whether Anthropic's cache rules apply to a model with these normalised names.</summary>
    internal static bool IsClaude(string key) =>
        (key.StartsWith(GlobalMarker, StringComparison.Ordinal) ? key[GlobalMarker.Length..] : key)
            .StartsWith("claude-", StringComparison.Ordinal);

    [GeneratedRegex(@"^(?:(?<region>us|eu|apac|au|jp|ca|us-gov|global)\.)?(?:anthropic|amazon|meta|mistral|cohere|ai21|deepseek|openai|qwen|google|writer|nvidia)\.(?<model>.+)$", RegexOptions.CultureInvariant)]
    private static partial Regex BedrockName();

    [GeneratedRegex(@"(?:-v\d+)?(?::\d+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex BedrockVersion();

    [GeneratedRegex(@"-v\d+:\d+$", RegexOptions.CultureInvariant)]
    private static partial Regex BedrockColonVersion();

    [GeneratedRegex(@"(?<=\d)\.(?=\d)", RegexOptions.CultureInvariant)]
    private static partial Regex DotBetweenDigits();

    [GeneratedRegex(@"-(?:(?<y>20\d{2})(?<m>\d{2})(?<d>\d{2})|(?<y>20\d{2})-(?<m>\d{2})-(?<d>\d{2}))$", RegexOptions.CultureInvariant)]
    private static partial Regex DateSuffix();
}
