using System.Text.Json;
using Spectre.Console;
using Tally.Ledger;

namespace Tally.Cli.Rendering;

/// <summary><c>tally state</c>: where the ledger is and what it holds.</summary>
internal static class StateView
{
    public static void WriteJson(Utf8JsonWriter writer, LedgerStatistics state)
    {
        writer.WriteStartObject();
        writer.WriteString("ledger", state.Location);
        writer.WriteNumber("schemaVersion", state.SchemaVersion);
        writer.WriteStartObject("callsBySource");
        foreach (var (source, calls) in state.CallsBySource.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            writer.WriteNumber(source, calls);
        }

        writer.WriteEndObject();
        writer.WriteNumber("toolResults", state.ToolResults);
        writer.WriteNumber("filesTracked", state.FilesTracked);
        writer.WriteNumber("linesSkipped", state.LinesSkipped);
        writer.WriteEndObject();
    }

    public static void Render(IAnsiConsole console, LedgerStatistics state)
    {
        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow("Ledger", Markup.Escape(state.Location));
        grid.AddRow("Schema version", Formats.Count(state.SchemaVersion));
        foreach (var (source, calls) in state.CallsBySource.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            grid.AddRow($"Calls from {Markup.Escape(source)}", Formats.Count(calls));
        }

        grid.AddRow("Tool results", Formats.Count(state.ToolResults));
        grid.AddRow("Files tracked", Formats.Count(state.FilesTracked));
        grid.AddRow("Lines skipped", Formats.Count(state.LinesSkipped));
        console.Write(grid);
    }
}
