namespace Tally.Reports;

/// <summary>Where a call's cost comes from.</summary>
public enum CostMode
{
    /// <summary>The cost the source stated when it stated one, else the price catalog's.</summary>
    Auto,
    /// <summary>Always the price catalog's.</summary>
    Calculate,
    /// <summary>Only what the source stated; calls without a stated cost are unpriced.</summary>
    Reported,
}
