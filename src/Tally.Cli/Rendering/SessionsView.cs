using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Tally.Reports;

namespace Tally.Cli.Rendering;

/// <summary><c>tally sessions</c>: a table for a person, <c>{ "sessions": [...] }</c> for scripts.</summary>
internal static class SessionsView
{
    public static void WriteJson(Utf8JsonWriter writer, IReadOnlyList<SessionRow> sessions)
    {
        writer.WriteStartObject();
        writer.WriteStartArray("sessions");
        foreach (var session in sessions)
        {
            writer.WriteStartObject();
            writer.WriteString("source", session.Source);
            writer.WriteString("sessionId", session.SessionId);
            writer.WriteString("parentSessionId", session.ParentSessionId);
            writer.WriteString("project", session.Project);
            writer.WriteString("first", Timestamp(session.First));
            writer.WriteString("last", Timestamp(session.Last));
            writer.UsageFields(session.Usage);
            writer.WriteStartArray("models");
            foreach (var model in session.Models)
            {
                writer.WriteStringValue(model);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    public static void Render(IAnsiConsole console, IReadOnlyList<SessionRow> sessions, TimeZoneInfo zone)
    {
        if (sessions.Count == 0)
        {
            console.MarkupLine("[dim]No sessions match.[/]");
            return;
        }

        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("Last")
            .AddColumn("First")
            .AddColumn("Source")
            .AddColumn("Project")
            .AddColumn("Session")
            .AddColumn(new TableColumn("Calls").RightAligned())
            .AddColumn(new TableColumn("Total tokens").RightAligned())
            .AddColumn(new TableColumn("Cost").RightAligned())
            .AddColumn("Models");
        foreach (var s in sessions)
        {
            table.AddRow(
                Local(s.Last, zone),
                Local(s.First, zone),
                Markup.Escape(s.Source),
                Markup.Escape(s.Project ?? Formats.Unknown),
                Markup.Escape(s.SessionId),
                Formats.Count(s.Usage.Calls),
                Formats.Count(s.Usage.Tokens.BilledTokens),
                Markup.Escape(Formats.Money(s.Usage.Cost) + (s.Usage.Cost is not null && s.Usage.UnpricedCalls > 0 ? "+" : "")),
                Markup.Escape(string.Join(", ", s.Models)));
        }

        console.Write(table);
    }

    /// <summary>UTC with milliseconds, the form the agents' own logs use.</summary>
    internal static string Timestamp(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static string Local(DateTimeOffset value, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTime(value, zone).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
}
