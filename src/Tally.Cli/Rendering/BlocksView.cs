using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Tally.Reports.Blocks;

namespace Tally.Cli.Rendering;

/// <summary><c>tally blocks</c> as a table for a person, or as JSON.</summary>
internal static class BlocksView
{
    public static void Render(IAnsiConsole console, IReadOnlyList<BillingBlock> blocks, TimeZoneInfo zone)
    {
        if (blocks.Count == 0)
        {
            console.MarkupLine("[dim]No calls match.[/]");
            return;
        }

        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumn("Window");
        table.AddColumn("Status");
        foreach (var header in (ReadOnlySpan<string>)["Calls", "Tokens", "Cost", "Tokens/h", "Cost/h", "Projected"])
        {
            table.AddColumn(new TableColumn(header).RightAligned());
        }

        table.AddColumn("Models");
        foreach (var block in blocks)
        {
            var window = $"{Local(block.Start, zone):yyyy-MM-dd HH:mm} – {Local(block.End, zone):HH:mm}";
            if (block.IsGap)
            {
                table.AddRow($"[dim]{Markup.Escape(window)}[/]", "[dim]gap[/]", "", "", "", "", "", "", "");
                continue;
            }

            var projected = block.Projection is { } p
                ? $"{Formats.Count(p.Tokens)} / {Formats.Money(p.Cost)} ({p.RemainingMinutes} min left)"
                : "";
            table.AddRow(
                Markup.Escape(window),
                block.IsActive ? "[green]active[/]" : "done",
                Formats.Count(block.Calls),
                Formats.Count(block.Tokens.BilledTokens),
                Markup.Escape(Formats.Money(block.Cost) + (block.Cost is not null && block.UnpricedCalls > 0 ? "+" : "")),
                block.BurnRate is { } rate ? Formats.Count((long)Math.Round(rate.TokensPerHour)) : Formats.Unknown,
                Markup.Escape(block.BurnRate is { } r ? Formats.Money(r.CostPerHour) : Formats.Unknown),
                Markup.Escape(projected),
                Markup.Escape(string.Join(", ", block.Models)));
        }

        console.Write(table);
    }

    public static void WriteJson(Utf8JsonWriter writer, IReadOnlyList<BillingBlock> blocks)
    {
        writer.WriteStartObject();
        writer.WriteStartArray("blocks");
        foreach (var block in blocks)
        {
            writer.WriteStartObject();
            writer.WriteString("start", Time(block.Start));
            writer.WriteString("end", Time(block.End));
            if (block.LastCall is { } last)
            {
                writer.WriteString("lastCall", Time(last));
            }
            else
            {
                writer.WriteNull("lastCall");
            }

            writer.WriteBoolean("isActive", block.IsActive);
            writer.WriteBoolean("isGap", block.IsGap);
            writer.WriteNumber("calls", block.Calls);
            writer.Tokens("tokens", block.Tokens);
            writer.WriteNumber("billedTokens", block.Tokens.BilledTokens);
            writer.Money("cost", block.Cost);
            writer.WriteNumber("unpricedCalls", block.UnpricedCalls);
            writer.WriteStartArray("models");
            foreach (var model in block.Models)
            {
                writer.WriteStringValue(model);
            }

            writer.WriteEndArray();
            if (block.BurnRate is { } rate)
            {
                writer.WriteStartObject("burnRate");
                writer.WriteNumber("tokensPerHour", decimal.Round(rate.TokensPerHour, 2));
                writer.Money("costPerHour", rate.CostPerHour);
                writer.WriteEndObject();
            }
            else
            {
                writer.WriteNull("burnRate");
            }

            if (block.Projection is { } projection)
            {
                writer.WriteStartObject("projection");
                writer.WriteNumber("billedTokens", projection.Tokens);
                writer.Money("cost", projection.Cost);
                writer.WriteNumber("remainingMinutes", projection.RemainingMinutes);
                writer.WriteEndObject();
            }
            else
            {
                writer.WriteNull("projection");
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static DateTime Local(DateTimeOffset instant, TimeZoneInfo zone) => TimeZoneInfo.ConvertTime(instant, zone).DateTime;

    private static string Time(DateTimeOffset instant) =>
        instant.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
