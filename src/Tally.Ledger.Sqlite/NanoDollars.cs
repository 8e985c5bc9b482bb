namespace Tally.Ledger.Sqlite;

/// <summary>
/// Money as an integer count of billionths of a dollar. SQLite has no decimal type and its REAL
/// is binary floating point, which cannot hold 0.1 exactly; integers sum exactly, so reported
/// costs are stored and summed as nano-dollars and turned back into <see cref="decimal"/> on read.
/// </summary>
internal static class NanoDollars
{
    private const decimal PerDollar = 1_000_000_000m;

    /// <summary>Rounds to the nearest nano-dollar (halves away from zero, as money is usually rounded).</summary>
    /// <exception cref="OverflowException">The amount is beyond ±9.2 billion dollars.</exception>
    public static long FromDollars(decimal dollars) =>
        decimal.ToInt64(decimal.Round(dollars * PerDollar, 0, MidpointRounding.AwayFromZero));

    /// <summary>Exact: every nano-dollar count is a decimal with nine places.</summary>
    public static decimal ToDollars(long nanos) => nanos / PerDollar;
}
