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
    /// <summary>One row per user who wrote the calls (shared ledgers).</summary>
    User,
    /// <summary>One row per machine that wrote the calls (shared ledgers).</summary>
    Host,
}

/// <summary>The names groupings go by on the command line and in JSON (<c>model</c>, <c>stop-reason</c>, ...).</summary>
public static class SummaryGroupings
{
    private static readonly Dictionary<string, SummaryGrouping> ByName = new(StringComparer.OrdinalIgnoreCase)
    {
        ["model"] = SummaryGrouping.Model,
        ["day"] = SummaryGrouping.Day,
        ["week"] = SummaryGrouping.Week,
        ["month"] = SummaryGrouping.Month,
        ["session"] = SummaryGrouping.Session,
        ["project"] = SummaryGrouping.Project,
        ["provider"] = SummaryGrouping.Provider,
        ["source"] = SummaryGrouping.Source,
        ["stop-reason"] = SummaryGrouping.StopReason,
        ["user"] = SummaryGrouping.User,
        ["host"] = SummaryGrouping.Host,
    };

    /// <summary>Every name, in display order.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. ByName.Keys];

    /// <summary>The grouping a name stands for.</summary>
    /// <exception cref="ArgumentException">The name is not a grouping.</exception>
    public static SummaryGrouping Parse(string name) =>
        ByName.TryGetValue(name, out var grouping) ? grouping : throw new ArgumentException($"Unknown grouping '{name}'.", nameof(name));

    /// <summary>A grouping's name.</summary>
    public static string Name(this SummaryGrouping grouping) => ByName.First(g => g.Value == grouping).Key;
}
