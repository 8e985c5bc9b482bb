using Npgsql;

namespace Tally.Ledger.Postgres;

/// <summary>The <c>WHERE</c> clause for a <see cref="CallFilter"/> over <c>calls</c>, with the same meaning as the SQLite ledger's.</summary>
internal static class PostgresFilter
{
    // U+10FFFF sorts after every character in byte order (the "C" collation), so
    // [prefix, prefix + U+10FFFF) holds exactly the ids that start with prefix, as an index range.
    private const string AfterEveryCharacter = "\U0010FFFF";

    /// <summary>The conditions (without <c>WHERE</c>), each value added to <paramref name="parameters"/>; empty for no restriction.</summary>
    public static List<string> Conditions(NpgsqlParameterCollection parameters, CallFilter? filter)
    {
        var conditions = new List<string>();
        if (filter is null)
        {
            return conditions;
        }

        // Times are kept to the millisecond; bounds are cut to it the same way.
        if (filter.Since is { } since)
        {
            parameters.AddWithValue("since", Millisecond(since));
            conditions.Add("ts >= @since");
        }

        if (filter.Until is { } until)
        {
            parameters.AddWithValue("until", Millisecond(until));
            conditions.Add("ts < @until");
        }

        if (filter.Project is { } project)
        {
            // A suffix after a path separator, so "tally" finds /home/me/src/tally (and
            // C:\src\tally, and a key like github.com/me/tally) but not /home/me/src/mytally.
            parameters.AddWithValue("project", project);
            parameters.AddWithValue("projectUnder", "/" + project);
            parameters.AddWithValue("projectUnderWindows", "\\" + project);
            conditions.Add("""
                (project = @project OR project_key = @project
                 OR right(project, length(@projectUnder)) IN (@projectUnder, @projectUnderWindows)
                 OR right(project_key, length(@projectUnder)) = @projectUnder)
                """);
        }

        if (filter.Session is { } session)
        {
            parameters.AddWithValue("session", session);
            parameters.AddWithValue("sessionEnd", session + AfterEveryCharacter);
            conditions.Add("session_id >= @session AND session_id < @sessionEnd");
        }

        Equal(parameters, conditions, "source", filter.Source);
        Equal(parameters, conditions, "user_name", filter.User);
        Equal(parameters, conditions, "host_name", filter.Host);
        return conditions;
    }

    /// <summary>The whole <c>WHERE</c> clause, or empty.</summary>
    public static string Where(NpgsqlParameterCollection parameters, CallFilter? filter) =>
        Conditions(parameters, filter) is { Count: > 0 } conditions ? "WHERE " + string.Join("\n  AND ", conditions) : "";

    private static void Equal(NpgsqlParameterCollection parameters, List<string> conditions, string column, string? value)
    {
        if (value is not null)
        {
            parameters.AddWithValue(column, value);
            conditions.Add($"{column} = @{column}");
        }
    }

    private static DateTime Millisecond(DateTimeOffset at) => DateTimeOffset.FromUnixTimeMilliseconds(at.ToUnixTimeMilliseconds()).UtcDateTime;
}
