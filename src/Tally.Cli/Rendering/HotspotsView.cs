using System.Text.Json;
using Spectre.Console;
using Tally.Reports.Hotspots;

namespace Tally.Cli.Rendering;

/// <summary><c>tally hotspots</c> as tables for a person, or as the JSON of DESIGN §5.</summary>
internal static class HotspotsView
{
    public static void Render(IAnsiConsole console, HotspotsReport report)
    {
        if (report.ToolResults == 0)
        {
            console.MarkupLine("[dim]No tool results match.[/]");
            return;
        }

        foreach (var table in report.Tables)
        {
            Render(console, table);
        }

        console.MarkupLineInterpolated(
            $"Attributed to tool results: {Formats.Money(report.Attributed.Cost)} ({Formats.Count(report.Attributed.Tokens.BilledTokens)} tokens) of {Formats.Money(report.Totals.Cost)}; unattributed (prompts, model output, context no result explains): {Formats.Money(report.Unattributed.Cost)} ({Formats.Count(report.Unattributed.Tokens.BilledTokens)} tokens).");
        if (report.Tables.Any(t => t.Rows.Any(r => r.TruncatedCount > 0)))
        {
            console.MarkupLine("[dim]* some outputs were truncated: the agent read less than the tool produced.[/]");
        }

        if (report.Approximate)
        {
            console.MarkupLine("[dim]~ approximate: where a log does not say which call read a result, or how large each result was, the split is estimated (see README, \"Where the tokens go\").[/]");
        }

        if (report.UnpricedCalls > 0)
        {
            console.MarkupLineInterpolated($"[yellow]Unpriced:[/] {Formats.Count(report.UnpricedCalls)} calls have no price; their tokens count, their cost is in no figure.");
        }
    }

    private static void Render(IAnsiConsole console, HotspotTable hotspots)
    {
        if (hotspots.Rows.Count == 0)
        {
            return;
        }

        var name = hotspots.Dimension.Name();
        var title = hotspots.TotalRows > hotspots.Rows.Count
            ? $"{Title(hotspots.Dimension)} (top {hotspots.Rows.Count} of {Formats.Count(hotspots.TotalRows)})"
            : Title(hotspots.Dimension);
        var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape(title));
        table.AddColumn(char.ToUpperInvariant(name[0]) + name[1..]);
        foreach (var header in (ReadOnlySpan<string>)["Calls", "Tokens", "Cost", "Output", "Largest", "Truncated"])
        {
            table.AddColumn(new TableColumn(header).RightAligned());
        }

        foreach (var row in hotspots.Rows)
        {
            table.AddRow(
                Markup.Escape(Shorten(row.Key)),
                Formats.Count(row.Calls),
                Formats.Count(row.Tokens.BilledTokens),
                Markup.Escape((row.Approximate ? "~" : "") + Formats.Money(row.Cost) + (row.HasUnpricedTokens && row.Cost is not null ? "+" : "")),
                Markup.Escape(Formats.Bytes(row.OutputBytes) + (row.TruncatedCount > 0 ? "*" : "")),
                Markup.Escape(Formats.Bytes(row.MaxOutputBytes)),
                Formats.Count(row.TruncatedCount));
        }

        console.Write(table);
    }

    private static string Title(HotspotDimension dimension) => dimension switch
    {
        HotspotDimension.Tool => "Tools",
        HotspotDimension.File => "Files",
        HotspotDimension.Command => "Commands",
        HotspotDimension.Verb => "Command verbs",
        HotspotDimension.Subagent => "Subagents",
        _ => "MCP servers",
    };

    // A long command would stretch the table past the terminal; the JSON keeps it whole.
    private static string Shorten(string key)
    {
        const int Max = 60;
        var line = key.ReplaceLineEndings(" ");
        return line.Length <= Max ? line : line[..(Max - 1)] + "…";
    }

    public static void WriteJson(Utf8JsonWriter writer, HotspotsReport report)
    {
        writer.WriteStartObject();
        writer.WriteString("rankBy", report.RankBy == HotspotRanking.Bytes ? "bytes" : "cost");
        foreach (var table in report.Tables)
        {
            writer.WriteStartArray(table.Dimension.JsonName());
            foreach (var row in table.Rows)
            {
                writer.WriteStartObject();
                writer.WriteString("key", row.Key);
                writer.WriteNumber("calls", row.Calls);
                writer.Money("cost", row.Cost);
                writer.Tokens("tokens", row.Tokens);
                writer.Number("outputBytes", row.OutputBytes);
                writer.Number("maxOutputBytes", row.MaxOutputBytes);
                writer.WriteNumber("truncatedCount", row.TruncatedCount);
                writer.WriteNumber("billedTokens", row.Tokens.BilledTokens);
                writer.WriteBoolean("approximate", row.Approximate);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        writer.WriteNumber("toolResults", report.ToolResults);
        Totals(writer, "totals", report.Totals);
        Totals(writer, "attributed", report.Attributed);
        Totals(writer, "unattributed", report.Unattributed);
        writer.WriteNumber("unpricedCalls", report.UnpricedCalls);
        writer.WriteBoolean("approximate", report.Approximate);
        writer.WriteEndObject();
    }

    private static void Totals(Utf8JsonWriter writer, string name, HotspotTotals totals)
    {
        writer.WriteStartObject(name);
        writer.Tokens("tokens", totals.Tokens);
        writer.WriteNumber("billedTokens", totals.Tokens.BilledTokens);
        writer.Money("cost", totals.Cost);
        writer.WriteEndObject();
    }
}
