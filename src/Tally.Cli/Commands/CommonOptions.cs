using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;
using Tally.Ledger;

namespace Tally.Cli.Commands;

/// <summary>
/// The options every query command shares. Each command gets its own instances (a symbol
/// belongs to one command), and <see cref="Filter"/> turns what the user typed into a
/// <see cref="CallFilter"/>.
/// </summary>
internal sealed partial class CommonOptions
{
    public Option<bool> Json { get; } = new("--json") { Description = "Write JSON to stdout instead of a table." };

    public Option<string?> Ledger { get; } = new("--ledger") { Description = "The ledger: a SQLite file path, or a postgres:// URL or connection string for a team ledger (default: $TALLY_LEDGER, else \"ledger\" in $TALLY_HOME/config.json, else $TALLY_HOME/ledger.db)." };

    public Option<string?> Since { get; } = new("--since") { Description = "Only calls on or after this date (YYYY-MM-DD, YYYYMMDD, an ISO 8601 time, or 7d / 12h / 2w ago)." };

    public Option<string?> Until { get; } = new("--until") { Description = "Only calls on or before this date (inclusive; same forms as --since)." };

    public Option<string?> Project { get; } = new("--project") { Description = "Only this project: its path, git key, or the path's last segments." };

    public Option<string?> Session { get; } = new("--session") { Description = "Only this session (id or id prefix)." };

    public Option<string?> Source { get; } = new("--source") { Description = "Only this source: claude-code, codex, opencode, gemini, events, sdk." };

    public Option<string?> User { get; } = new("--user") { Description = "Only calls written by this user (shared ledgers)." };

    public Option<string?> Host { get; } = new("--host") { Description = "Only calls written from this machine (shared ledgers)." };

    public Option<string?> TimeZone { get; } = new("--timezone", "-z") { Description = "IANA time zone for day boundaries (default: local)." };

    public void AddTo(Command command)
    {
        command.Add(Json);
        command.Add(Ledger);
        command.Add(Since);
        command.Add(Until);
        command.Add(Project);
        command.Add(Session);
        command.Add(Source);
        command.Add(User);
        command.Add(Host);
        command.Add(TimeZone);
    }

    public TimeZoneInfo Zone(ParseResult result)
    {
        var id = result.GetValue(TimeZone);
        if (id is null || id.Equals("local", StringComparison.OrdinalIgnoreCase))
        {
            return TimeZoneInfo.Local;
        }

        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id);
        }
        catch (TimeZoneNotFoundException)
        {
            throw new UsageException($"Unknown time zone '{id}'; use an IANA name such as Europe/Paris, or UTC.");
        }
    }

    public CallFilter Filter(ParseResult result, TimeZoneInfo zone, DateTimeOffset now) => new(
        ParseMoment(result.GetValue(Since), "--since", zone, now, endOfDay: false),
        ParseMoment(result.GetValue(Until), "--until", zone, now, endOfDay: true),
        result.GetValue(Project),
        result.GetValue(Session),
        TallyContext.ValidateSource(result.GetValue(Source)),
        result.GetValue(User),
        result.GetValue(Host));

    /// <summary>
    /// A date means a whole local day: <c>--since</c> starts at its midnight and <c>--until</c>
    /// includes it (the bound is the next midnight, exclusive).
    /// </summary>
    internal static DateTimeOffset? ParseMoment(string? text, string option, TimeZoneInfo zone, DateTimeOffset now, bool endOfDay)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        text = text.Trim();
        if (RelativePattern().Match(text) is { Success: true } relative)
        {
            var amount = int.Parse(relative.Groups[1].Value, CultureInfo.InvariantCulture);
            var span = relative.Groups[2].Value switch
            {
                "h" => TimeSpan.FromHours(amount),
                "w" => TimeSpan.FromDays(7 * amount),
                _ => TimeSpan.FromDays(amount),
            };
            return now - span;
        }

        if (DateOnly.TryParseExact(text, ["yyyy-MM-dd", "yyyyMMdd"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            var day = endOfDay ? date.AddDays(1) : date;
            var local = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
            return new DateTimeOffset(local, zone.GetUtcOffset(local));
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var moment))
        {
            return endOfDay ? moment.AddTicks(1) : moment;
        }

        throw new UsageException($"{option} '{text}' is not a date; use YYYY-MM-DD, YYYYMMDD, an ISO 8601 time, or a span such as 7d.");
    }

    [GeneratedRegex("^([0-9]+)([dhw])$")]
    private static partial Regex RelativePattern();
}
