using Tally.Model;
using Tally.Pricing;

namespace Tally.Reports;

/// <summary>The cost of single calls, by the same rules as <see cref="SummaryQuery"/> prices sums.</summary>
internal static class CallCosts
{
    /// <summary>The cost of one call under a cost mode, or null when it cannot be priced.</summary>
    public static decimal? Of(LlmCall call, PriceCatalog prices, CostMode mode) => CallPricing.Of(call, prices, mode).Cost;
}

/// <summary>
/// How one call is priced, looked up once so that the cost of any part of its tokens is plain
/// arithmetic: the catalog's price of the part when the call is priced from the catalog, else the
/// call's reported cost in proportion to what the catalog (or, for a model it does not know, the
/// token count) says the part is worth.
/// </summary>
internal readonly record struct CallPricing(decimal? Cost, PriceRates? Rates, decimal? CatalogCost, bool FromCatalog, long BilledTokens)
{
    public static CallPricing Of(LlmCall call, PriceCatalog prices, CostMode mode)
    {
        var rates = prices.Find(call.Model, call.Provider)?.RatesAt(call.Usage.ContextTokens);
        var catalogCost = rates?.Cost(call.Usage);
        var fromCatalog = mode == CostMode.Calculate || call.ReportedCost is null;
        decimal? cost = fromCatalog ? (mode == CostMode.Reported ? null : catalogCost) : call.ReportedCost;
        return new CallPricing(cost, rates, catalogCost, fromCatalog, call.Usage.BilledTokens);
    }

    /// <summary>The cost of part of the call's tokens, or null when the call has no cost.</summary>
    public decimal? OfPart(TokenUsage part)
    {
        if (Cost is not { } whole)
        {
            return null;
        }

        var partPrice = Rates?.Cost(part);
        if (FromCatalog && partPrice is { } price)
        {
            return price;
        }

        if (partPrice is { } p && CatalogCost is { } all && all > 0)
        {
            return whole * (p / all);
        }

        return BilledTokens == 0 ? 0m : whole * part.BilledTokens / BilledTokens;
    }
}
