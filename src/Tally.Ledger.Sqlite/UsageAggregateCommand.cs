using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;
using Tally.Model;

namespace Tally.Ledger.Sqlite;

/// <summary>
/// Answers a <see cref="UsageQuery"/>: one scan of <c>calls</c> with the filter in SQL, folded into
/// groups in memory. SQLite can only group by sorting, and pushing every call through its sorter
/// costs more than twice the scan; a dictionary folds the same rows in one pass. Every value from
/// the query travels as a parameter; only the shape of the SQL varies.
/// </summary>
internal static class UsageAggregateCommand
{
    private const long QuarterHourMs = 15 * 60 * 1000;

    // U+10FFFF sorts after every character in UTF-8 byte order (SQLite's BINARY collation), so
    // [prefix, prefix + U+10FFFF) holds exactly the ids that start with prefix, as an index range.
    private const string AfterEveryCharacter = "\U0010FFFF";

    /// <summary>Runs the query on an open connection.</summary>
    /// <exception cref="ArgumentException">The thresholds are not in ascending order.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The grouping is not a known value.</exception>
    public static List<UsageAggregate> Run(SqliteConnection connection, UsageQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var thresholds = query.ContextThresholds;
        for (var i = 1; i < thresholds.Count; i++)
        {
            if (thresholds[i] < thresholds[i - 1])
            {
                throw new ArgumentException("Context thresholds must be in ascending order.", nameof(query));
            }
        }

        var (key, bucket) = query.Grouping switch
        {
            LedgerGrouping.None => ("NULL", "0"),
            LedgerGrouping.Session => ("session_id", "0"),
            LedgerGrouping.Project => ("coalesce(project_key, project)", "0"),
            LedgerGrouping.Source => ("source", "0"),
            LedgerGrouping.User => ("user_name", "0"),
            LedgerGrouping.Host => ("host_name", "0"),
            // SQLite's integer division truncates toward zero; shifting negatives makes it floor.
            LedgerGrouping.QuarterHour => ("NULL", $"(ts_ms - iif(ts_ms < 0, {QuarterHourMs - 1}, 0)) / {QuarterHourMs}"),
            _ => throw new ArgumentOutOfRangeException(nameof(query), query.Grouping, "Unknown grouping."),
        };

        var parameters = new List<(string Name, SqlValue Value)>();
        var sql = $"""
            SELECT {key}, {bucket}, source, model, provider, context_tokens, stop_reason,
                   coalesce(reported_cost_nanos, -1), coalesce(input, -1), coalesce(cache_read, -1),
                   coalesce(cache_write_5m, -1), coalesce(cache_write_1h, -1), coalesce(output, -1), coalesce(reasoning, -1)
            FROM calls
            {Where(parameters, query.Filter)}
            """;
        using var statement = new PreparedStatement(connection, sql);
        foreach (var (name, value) in parameters)
        {
            statement.Bind(statement.ParameterIndex(name), value);
        }

        return Fold(statement, thresholds);
    }

    /// <summary>One long loop in a short process: compiled optimised at once rather than run as tier-0 code.</summary>
    /// <remarks>
    /// Counts and costs are never negative, so the query sends null as -1: one native call per
    /// column instead of a type check and a read. Text columns become interned ids, so a group
    /// key is a handful of integers to hash and compare.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static List<UsageAggregate> Fold(PreparedStatement rows, IReadOnlyList<long> thresholds)
    {
        const int NoText = -1;
        var texts = new Utf8Interner();
        var groups = new Dictionary<Group, Sums>();
        while (rows.Step())
        {
            var cost = rows.Int64(7);
            var group = new Group(
                rows.IsNull(0) ? NoText : texts.Id(rows.Utf8(0)),
                rows.Int64(1),
                texts.Id(rows.Utf8(2)),
                texts.Id(rows.Utf8(3)),
                rows.IsNull(4) ? NoText : texts.Id(rows.Utf8(4)),
                Band(rows.Int64(5), thresholds),
                (int)rows.Int64(6),
                cost >= 0);
            ref var sums = ref CollectionsMarshal.GetValueRefOrAddDefault(groups, group, out _);
            sums.Calls++;
            sums.Tokens += new TokenUsage(
                Count(rows.Int64(8)), Count(rows.Int64(9)), Count(rows.Int64(10)),
                Count(rows.Int64(11)), Count(rows.Int64(12)), Count(rows.Int64(13)));
            if (cost >= 0)
            {
                sums.CostNanos += cost;
            }
        }

        string? Text(int id) => id == NoText ? null : texts.Text(id);
        var aggregates = new List<UsageAggregate>(groups.Count);
        foreach (var (g, sums) in groups)
        {
            aggregates.Add(new UsageAggregate(
                Text(g.Key), g.Bucket, texts.Text(g.Source), texts.Text(g.Model), Text(g.Provider), g.Band,
                (StopReason)g.StopReason, g.HasReportedCost, sums.Calls, sums.Tokens,
                g.HasReportedCost ? NanoDollars.ToDollars(sums.CostNanos) : null));
        }

        return aggregates;
    }

    private static long? Count(long value) => value < 0 ? null : value;

    /// <summary>Band b holds contexts above threshold b-1 and at most threshold b: the number of thresholds below the context.</summary>
    internal static int Band(long context, IReadOnlyList<long> thresholds)
    {
        var band = 0;
        while (band < thresholds.Count && context > thresholds[band])
        {
            band++;
        }

        return band;
    }

    private readonly record struct Group(int Key, long Bucket, int Source, int Model, int Provider, int Band, int StopReason, bool HasReportedCost);

    private struct Sums
    {
        public long Calls;
        public TokenUsage Tokens;
        public long CostNanos;
    }

    /// <summary>The <c>WHERE</c> clause for a filter over <c>calls</c>, its values added to <paramref name="parameters"/>.</summary>
    internal static string Where(List<(string Name, SqlValue Value)> parameters, CallFilter? filter)
    {
        if (filter is null)
        {
            return "";
        }

        var conditions = new List<string>();
        if (filter.Since is { } since)
        {
            parameters.Add(("$since", since.ToUnixTimeMilliseconds()));
            conditions.Add("ts_ms >= $since");
        }

        if (filter.Until is { } until)
        {
            parameters.Add(("$until", until.ToUnixTimeMilliseconds()));
            conditions.Add("ts_ms < $until");
        }

        if (filter.Project is { } project)
        {
            // A suffix after a path separator, so "tally" finds /home/me/src/tally (and
            // C:\src\tally, and a key like github.com/me/tally) but not /home/me/src/mytally.
            parameters.Add(("$project", project));
            parameters.Add(("$projectUnder", "/" + project));
            parameters.Add(("$projectUnderWindows", "\\" + project));
            conditions.Add("""
                (project = $project OR project_key = $project
                 OR substr(project, -length($projectUnder)) IN ($projectUnder, $projectUnderWindows)
                 OR substr(project_key, -length($projectUnder)) = $projectUnder)
                """);
        }

        if (filter.Session is { } session)
        {
            parameters.Add(("$session", session));
            parameters.Add(("$sessionEnd", session + AfterEveryCharacter));
            conditions.Add("session_id >= $session AND session_id < $sessionEnd");
        }

        if (filter.Source is { } source)
        {
            parameters.Add(("$source", source));
            conditions.Add("source = $source");
        }

        if (filter.User is { } user)
        {
            parameters.Add(("$user", user));
            conditions.Add("user_name = $user");
        }

        if (filter.Host is { } host)
        {
            parameters.Add(("$host", host));
            conditions.Add("host_name = $host");
        }

        return conditions.Count == 0 ? "" : "WHERE " + string.Join("\n  AND ", conditions);
    }
}
