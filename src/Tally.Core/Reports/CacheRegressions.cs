namespace Tally.Reports;

/// <summary>
/// Flags days whose cache hit ratio fell well below its recent norm: the sign of a prompt-cache
/// regression (a prompt that changes near its start on every call, a cache that expires between
/// calls), which multiplies input cost without changing anything else.
/// </summary>
/// <remarks>
/// A day is flagged when its cache hit ratio is more than <see cref="Drop"/> (20 percentage
/// points) below the median of the up to <see cref="Window"/> (7) earlier days that had a ratio,
/// provided at least <see cref="MinimumHistory"/> (3) such days exist. Days without a ratio
/// (nothing read as input) are neither flagged nor part of a later day's median.
/// </remarks>
public static class CacheRegressions
{
    /// <summary>How many earlier days (with a ratio) the median looks back over.</summary>
    public const int Window = 7;

    /// <summary>How many earlier days with a ratio are needed before a day can be flagged.</summary>
    public const int MinimumHistory = 3;

    /// <summary>How far below the trailing median a day's ratio must fall to be flagged.</summary>
    public const double Drop = 0.20;

    /// <summary>The one-line explanation shown under a table with a flagged day.</summary>
    public static string Explanation =>
        $"! cache regression: the day's cache hit ratio fell more than {Drop * 100:0} points below the median of the {Window} days before it; prompts were re-sent instead of read from the cache.";

    /// <summary>Checks each day's row against the days before it.</summary>
    /// <param name="days">Day rows in time order.</param>
    /// <returns>For every row, keyed by day: the trailing median (null while history is short) and whether the day is flagged.</returns>
    public static IReadOnlyDictionary<string, CacheCheck> Check(IReadOnlyList<UsageRow> days)
    {
        ArgumentNullException.ThrowIfNull(days);
        var checks = new Dictionary<string, CacheCheck>(StringComparer.Ordinal);
        var history = new List<double>();
        foreach (var day in days)
        {
            var recent = history.Count >= MinimumHistory ? Median(history.TakeLast(Window).ToList()) : (double?)null;
            var ratio = day.CacheHitRatio;
            var flagged = recent is { } median && ratio is { } r && r < median - Drop;
            checks[day.Key ?? ""] = new CacheCheck(recent, flagged);
            if (ratio is { } known)
            {
                history.Add(known);
            }
        }

        return checks;
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        var middle = values.Count / 2;
        return values.Count % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
    }
}

/// <summary>A day's cache hit ratio against the days before it.</summary>
/// <param name="TrailingMedian">The median ratio of the earlier days considered; null while there are too few.</param>
/// <param name="Regression">Whether the day fell well below it.</param>
public sealed record CacheCheck(double? TrailingMedian, bool Regression);
