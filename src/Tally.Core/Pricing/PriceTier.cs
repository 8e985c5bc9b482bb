namespace Tally.Pricing;

/// <summary>
/// The rates of a model for calls whose context (input + cache read + cache writes) is above
/// <paramref name="AboveContextTokens"/>: every bucket of such a call is billed at these rates,
/// as Anthropic's long-context pricing bills the whole request.
/// </summary>
/// <param name="AboveContextTokens">The threshold; a call of exactly this context size is still below the tier.</param>
/// <param name="Rates">Every bucket's rate in the tier.</param>
public sealed record PriceTier(long AboveContextTokens, PriceRates Rates);
