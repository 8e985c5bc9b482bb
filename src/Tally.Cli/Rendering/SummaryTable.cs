using Spectre.Console;
using Tally.Model;
using Tally.Reports;

namespace Tally.Cli.Rendering;

/// <summary><c>tally summary</c> for a person: a table, the turn outcomes, and what could not be priced.</summary>
internal static class SummaryTable
{
    public static void Render(IAnsiConsole console, SummaryReport report, string? overridesPath)
    {
        if (report.Totals.Calls == 0)
        {
            console.MarkupLine("[dim]No calls match.[/]");
            return;
        }

        var table = new Table().Border(TableBorder.Rounded).ShowFooters();
        var name = report.GroupBy.Name();
        table.AddColumn(new TableColumn(char.ToUpperInvariant(name[0]) + name[1..]).Footer("[bold]Total[/]"));
        AddNumber(table, "Calls", Formats.Count(report.Totals.Calls));
        AddNumber(table, "Input", Formats.Count(report.Totals.Tokens.Input));
        AddNumber(table, "Output", Formats.Count(report.Totals.Tokens.Output));
        AddNumber(table, "Cache read", Formats.Count(report.Totals.Tokens.CacheRead));
        AddNumber(table, "Cache write", Formats.Count(report.Totals.Tokens.CacheWrite));
        AddNumber(table, "Total tokens", Formats.Count(report.Totals.Tokens.BilledTokens));
        AddNumber(table, "Cost", CostCell(report.Totals));
        AddNumber(table, "Cache hit", Formats.Percent(report.Totals.CacheHitRatio));

        foreach (var row in report.Rows)
        {
            table.AddRow(
                Markup.Escape(row.Key ?? Formats.Unknown),
                Formats.Count(row.Calls),
                Formats.Count(row.Tokens.Input),
                Formats.Count(row.Tokens.Output),
                Formats.Count(row.Tokens.CacheRead),
                Formats.Count(row.Tokens.CacheWrite),
                Formats.Count(row.Tokens.BilledTokens),
                Markup.Escape(CostCell(row)),
                Formats.Percent(row.CacheHitRatio) + (IsRegression(report, row) ? " !" : ""));
        }

        console.Write(table);
        if (report.Rows.Any(r => IsRegression(report, r)))
        {
            console.MarkupLine("[yellow]" + Markup.Escape(CacheRegressions.Explanation) + "[/]");
        }

        console.WriteLine(Outcomes(report));
        if (report.UnpricedModels.Count > 0)
        {
            var models = string.Join(", ", report.UnpricedModels.Select(m => $"{m.Model} ({Formats.Count(m.Calls)} {(m.Calls == 1 ? "call" : "calls")})"));
            console.MarkupLineInterpolated($"[yellow]Unpriced:[/] {models}. Costs exclude these calls (marked +); add their prices to {overridesPath}.");
        }
    }

    /// <summary>"Turn outcomes: 12 end turn · 40 tool use", the reasons that occurred, most first.</summary>
    public static string Outcomes(SummaryReport report)
    {
        var parts = report.StopReasons.Where(r => r.Value > 0)
            .OrderByDescending(r => r.Value)
            .Select(r => $"{Formats.Count(r.Value)} {r.Key.Label()}");
        var outcomes = "Turn outcomes: " + string.Join(" · ", parts);
        if (report.Turns is not { } turns)
        {
            return outcomes;
        }

        var unknown = report.Totals.Calls - report.CallsWithOutcome;
        return outcomes + $" ({Formats.Count(report.CallsWithOutcome)} billed calls in {Formats.Count(turns)} turns"
            + (unknown > 0 ? $"; {Formats.Count(unknown)} calls with no recorded outcome)" : ")");
    }

    private static bool IsRegression(SummaryReport report, UsageRow row) =>
        report.CacheChecks?.GetValueOrDefault(row.Key ?? "")?.Regression == true;

    /// <summary>A cost, with "+" when some calls of the row could not be priced.</summary>
    private static string CostCell(UsageRow row) =>
        Formats.Money(row.Cost) + (row.Cost is not null && row.UnpricedCalls > 0 ? "+" : "");

    private static void AddNumber(Table table, string header, string footer) =>
        table.AddColumn(new TableColumn(header).RightAligned().Footer("[bold]" + Markup.Escape(footer) + "[/]"));
}
