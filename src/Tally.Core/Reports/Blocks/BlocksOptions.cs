using Tally.Ledger;

namespace Tally.Reports.Blocks;

/// <summary>What a blocks report covers.</summary>
/// <param name="Filter">Which calls.</param>
/// <param name="Now">The present, which decides the active window and its projection.</param>
/// <param name="CostMode">Where call costs come from.</param>
public sealed record BlocksOptions(CallFilter Filter, DateTimeOffset Now, CostMode CostMode = CostMode.Auto)
{
    /// <summary>How long a window lasts, and how long an idle spell closes one.</summary>
    public static TimeSpan WindowLength { get; } = TimeSpan.FromHours(5);
}
