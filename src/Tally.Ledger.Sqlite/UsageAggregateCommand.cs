using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using Tally.Model;

namespace Tally.Ledger.Sqlite;

/// <summary>
/// Turns a <see cref="UsageQuery"/> into one <c>GROUP BY</c> over <c>calls</c> and reads its rows.
/// Every value from the query travels as a parameter; only the shape of the SQL varies.
/// </summary>
internal static class UsageAggregateCommand
{
    private const long QuarterHourMs = 15 * 60 * 1000;

    // U+10FFFF sorts after every character in UTF-8 byte order (SQLite's BINARY collation), so
    // [prefix, prefix + U+10FFFF) holds exactly the ids that start with prefix, as an index range.
    private const string AfterEveryCharacter = "\U0010FFFF";

    /// <summary>Builds the command; the caller runs it and disposes it.</summary>
    /// <exception cref="ArgumentException">The thresholds are not in ascending order.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The grouping is not a known value.</exception>
    public static SqliteCommand Create(SqliteConnection connection, UsageQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var command = connection.CreateCommand();
        var (key, bucket) = query.Grouping switch
        {
            LedgerGrouping.None => ("NULL", "0"),
            LedgerGrouping.Session => ("session_id", "0"),
            LedgerGrouping.Project => ("coalesce(project_key, project)", "0"),
            LedgerGrouping.Source => ("source", "0"),
            // SQLite's integer division truncates toward zero; shifting negatives makes it floor.
            LedgerGrouping.QuarterHour => ("NULL", $"(ts_ms - iif(ts_ms < 0, {QuarterHourMs - 1}, 0)) / {QuarterHourMs}"),
            _ => throw new ArgumentOutOfRangeException(nameof(query), query.Grouping, "Unknown grouping."),
        };

        command.CommandText = $"""
            SELECT {key} AS group_key, {bucket} AS bucket, source, model, provider,
                   {Band(command, query.ContextThresholds)} AS band, stop_reason,
                   reported_cost_nanos IS NOT NULL AS has_cost,
                   count(*), sum(input), sum(cache_read), sum(cache_write_5m), sum(cache_write_1h),
                   sum(output), sum(reasoning), sum(reported_cost_nanos)
            FROM calls
            {Where(command, query.Filter)}
            GROUP BY group_key, bucket, source, model, provider, band, stop_reason, has_cost
            """;
        return command;
    }

    /// <summary>Reads the current row of a reader over <see cref="Create"/>'s command.</summary>
    public static UsageAggregate Read(SqliteDataReader reader)
    {
        var hasCost = reader.GetBoolean(7);
        return new UsageAggregate(
            Key: reader.IsDBNull(0) ? null : reader.GetString(0),
            Bucket: reader.GetInt64(1),
            Source: reader.GetString(2),
            Model: reader.GetString(3),
            Provider: reader.IsDBNull(4) ? null : reader.GetString(4),
            Band: reader.GetInt32(5),
            StopReason: (StopReason)reader.GetInt32(6),
            HasReportedCost: hasCost,
            Calls: reader.GetInt64(8),
            Tokens: new TokenUsage(
                NullableInt64(reader, 9),
                NullableInt64(reader, 10),
                NullableInt64(reader, 11),
                NullableInt64(reader, 12),
                NullableInt64(reader, 13),
                NullableInt64(reader, 14)),
            ReportedCost: hasCost ? NanoDollars.ToDollars(reader.GetInt64(15)) : null);
    }

    /// <summary>
    /// <c>CASE WHEN context_tokens &lt;= t0 THEN 0 WHEN context_tokens &lt;= t1 THEN 1 … ELSE n END</c>:
    /// band b holds contexts above threshold b-1 and at most threshold b.
    /// </summary>
    private static string Band(SqliteCommand command, IReadOnlyList<long> thresholds)
    {
        if (thresholds is null || thresholds.Count == 0)
        {
            return "0";
        }

        var sql = new StringBuilder("CASE");
        for (var i = 0; i < thresholds.Count; i++)
        {
            if (i > 0 && thresholds[i] < thresholds[i - 1])
            {
                throw new ArgumentException("Context thresholds must be in ascending order.", nameof(thresholds));
            }

            var name = "$threshold" + i.ToString(CultureInfo.InvariantCulture);
            command.Parameters.AddWithValue(name, thresholds[i]);
            sql.Append(CultureInfo.InvariantCulture, $" WHEN context_tokens <= {name} THEN {i}");
        }

        return sql.Append(CultureInfo.InvariantCulture, $" ELSE {thresholds.Count} END").ToString();
    }

    private static string Where(SqliteCommand command, CallFilter? filter)
    {
        if (filter is null)
        {
            return "";
        }

        var conditions = new List<string>();
        if (filter.Since is { } since)
        {
            command.Parameters.AddWithValue("$since", since.ToUnixTimeMilliseconds());
            conditions.Add("ts_ms >= $since");
        }

        if (filter.Until is { } until)
        {
            command.Parameters.AddWithValue("$until", until.ToUnixTimeMilliseconds());
            conditions.Add("ts_ms < $until");
        }

        if (filter.Project is { } project)
        {
            // A suffix after a path separator, so "tally" finds /home/me/src/tally (and
            // C:\src\tally, and a key like github.com/me/tally) but not /home/me/src/mytally.
            command.Parameters.AddWithValue("$project", project);
            command.Parameters.AddWithValue("$projectUnder", "/" + project);
            command.Parameters.AddWithValue("$projectUnderWindows", "\\" + project);
            conditions.Add("""
                (project = $project OR project_key = $project
                 OR substr(project, -length($projectUnder)) IN ($projectUnder, $projectUnderWindows)
                 OR substr(project_key, -length($projectUnder)) = $projectUnder)
                """);
        }

        if (filter.Session is { } session)
        {
            command.Parameters.AddWithValue("$session", session);
            command.Parameters.AddWithValue("$sessionEnd", session + AfterEveryCharacter);
            conditions.Add("session_id >= $session AND session_id < $sessionEnd");
        }

        if (filter.Source is { } source)
        {
            command.Parameters.AddWithValue("$source", source);
            conditions.Add("source = $source");
        }

        return conditions.Count == 0 ? "" : "WHERE " + string.Join("\n  AND ", conditions);
    }

    private static long? NullableInt64(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);
}
