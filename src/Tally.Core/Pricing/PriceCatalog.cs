using Tally.Model;

namespace Tally.Pricing;

// CONTRACT STUB — the pricing work replaces this file's body; the public members below are what
// the rest of Tally calls.

/// <summary>
/// Prices from the embedded catalog, with the user's overrides on top. Pricing is a pure function
/// of (model, provider, usage, context size): a model the catalog does not know has no price,
/// never a price of zero.
/// </summary>
public sealed partial class PriceCatalog
{
    /// <summary>
    /// Ascending context sizes at which some model's price changes tier (for
    /// <see cref="Ledger.UsageQuery.ContextThresholds"/>).
    /// </summary>
    public IReadOnlyList<long> ContextThresholds { get; } = [];

    /// <summary>The price of a model, or null when it is unknown.</summary>
    public ModelPrice? Find(string model, string? provider) => null;

    /// <summary>
    /// The cost in USD of <paramref name="usage"/> on a model whose calls had the given context
    /// size, or null when the model has no price.
    /// </summary>
    public decimal? Cost(string model, string? provider, TokenUsage usage, long contextTokens) => null;
}

/// <summary>A model's rates.</summary>
public sealed record ModelPrice(string Id);
