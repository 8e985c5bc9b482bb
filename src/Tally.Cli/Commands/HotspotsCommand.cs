using System.CommandLine;
using Tally.Cli.Rendering;
using Tally.Ingest;
using Tally.Reports;
using Tally.Reports.Hotspots;

namespace Tally.Cli.Commands;

/// <summary>
/// <c>tally hotspots</c>: which tools, files, commands, verbs, subagents and MCP servers cost the
/// most, from the cost attributed to the tool results they produced.
/// </summary>
internal static class HotspotsCommand
{
    public static Command Create(CliConsoles consoles)
    {
        var common = new CommonOptions();
        var rankBy = new Option<string>("--rank-by")
        {
            Description = "Order rows by attributed cost, or by the bytes of output they produced: cost, bytes.",
            DefaultValueFactory = _ => "cost",
        }.AcceptOnlyFromAmong("cost", "bytes");
        var groupBy = new Option<string?>("--group-by")
        {
            Description = "Show one table only: tool, file, command, verb, subagent, mcp-server.",
        }.AcceptOnlyFromAmong([.. HotspotDimensions.All.Select(d => d.Name())]);
        var all = new Option<bool>("--all") { Description = "Every row, not just the top ones." };
        var limit = new Option<int>("--limit", "-n") { Description = "Rows per table (default 10).", DefaultValueFactory = _ => HotspotsOptions.DefaultLimit };
        limit.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1)
            {
                r.AddError("--limit must be at least 1.");
            }
        });
        var costMode = CostModeOption();

        var command = new Command("hotspots", "Which tools, files, commands, verbs, subagents and MCP servers cost the most, and which produced the most output.");
        common.AddTo(command);
        command.Add(rankBy);
        command.Add(groupBy);
        command.Add(all);
        command.Add(limit);
        command.Add(costMode);
        command.SetAction(async (result, ct) =>
        {
            await using var context = await TallyContext.OpenAsync(result.GetValue(common.Ledger), AgentEnvironment.Current, ct, prices: true);
            var zone = common.Zone(result);
            var dimensions = result.GetValue(groupBy) is { } name ? [HotspotDimensions.Parse(name)] : HotspotDimensions.All;
            var options = new HotspotsOptions(
                common.Filter(result, zone, DateTimeOffset.UtcNow),
                result.GetValue(rankBy) == "bytes" ? HotspotRanking.Bytes : HotspotRanking.Cost,
                dimensions,
                result.GetValue(all) ? null : result.GetValue(limit),
                Enum.Parse<CostMode>(result.GetValue(costMode)!, ignoreCase: true));
            RecordReports.AllocateWithoutCollections();
            var report = await HotspotsQuery.RunAsync(context.Ledger, await context.PricesAsync, options, ct);
            if (result.GetValue(common.Json))
            {
                consoles.Out.Profile.Out.Writer.WriteLine(JsonOutput.Write(w => HotspotsView.WriteJson(w, report)));
            }
            else
            {
                HotspotsView.Render(consoles.Out, report);
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    internal static Option<string> CostModeOption() => new Option<string>("--cost-mode")
    {
        Description = "Where costs come from: auto (the source's own figure when it gives one, else the price catalog), calculate, reported.",
        DefaultValueFactory = _ => "auto",
    }.AcceptOnlyFromAmong("auto", "calculate", "reported");
}
