namespace Tally.Reports;

/// <summary>What the rows of a summary are.</summary>
public enum SummaryGrouping
{
    /// <summary>One row per model as reported.</summary>
    Model,
    /// <summary>One row per calendar day in the report's time zone.</summary>
    Day,
    /// <summary>One row per ISO week (Monday start) in the report's time zone; the key is the Monday.</summary>
    Week,
    /// <summary>One row per calendar month in the report's time zone.</summary>
    Month,
    /// <summary>One row per session.</summary>
    Session,
    /// <summary>One row per project (git-canonical key, else path).</summary>
    Project,
    /// <summary>One row per provider.</summary>
    Provider,
    /// <summary>One row per source.</summary>
    Source,
    /// <summary>One row per stop reason.</summary>
    StopReason,
}
