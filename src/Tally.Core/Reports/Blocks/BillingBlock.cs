using Tally.Model;

namespace Tally.Reports.Blocks;

/// <summary>
/// A five-hour usage window as Claude plans bill them (see <see cref="BlocksQuery"/>), or the idle
/// gap between two windows.
/// </summary>
/// <param name="Start">When the window opened: its first call's time floored to the UTC hour (a gap: the previous window's last call + 5 h).</param>
/// <param name="End">When the window closes: <paramref name="Start"/> + 5 h (a gap: the next window's first call).</param>
/// <param name="LastCall">The last call's time; null for a gap.</param>
/// <param name="IsActive">Whether the window is still open now: its last call was under 5 h ago and its end is still ahead.</param>
/// <param name="IsGap">Whether this is an idle gap of more than 5 h rather than a window.</param>
/// <param name="Calls">Billed API calls in the window.</param>
/// <param name="Tokens">Token buckets summed.</param>
/// <param name="Cost">USD over the priced calls; null when none could be priced.</param>
/// <param name="UnpricedCalls">Calls whose model has no price.</param>
/// <param name="Models">Models used, most calls first.</param>
/// <param name="BurnRate">Tokens and cost per hour between the first and the last call; null for a gap or when they are at the same instant.</param>
/// <param name="Projection">For the active window: where it ends up if the burn rate holds until <paramref name="End"/>.</param>
public sealed record BillingBlock(
    DateTimeOffset Start,
    DateTimeOffset End,
    DateTimeOffset? LastCall,
    bool IsActive,
    bool IsGap,
    long Calls,
    TokenUsage Tokens,
    decimal? Cost,
    long UnpricedCalls,
    IReadOnlyList<string> Models,
    BurnRate? BurnRate,
    BlockProjection? Projection);

/// <summary>How fast a window spends.</summary>
/// <param name="TokensPerHour">Billed tokens per hour.</param>
/// <param name="CostPerHour">USD per hour; null when nothing was priced.</param>
public sealed record BurnRate(decimal TokensPerHour, decimal? CostPerHour);

/// <summary>Where the active window ends up if its burn rate holds.</summary>
/// <param name="Tokens">Billed tokens at the window's end.</param>
/// <param name="Cost">USD at the window's end; null when nothing was priced.</param>
/// <param name="RemainingMinutes">Minutes from now to the window's end.</param>
public sealed record BlockProjection(long Tokens, decimal? Cost, long RemainingMinutes);
