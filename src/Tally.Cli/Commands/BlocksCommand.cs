using System.CommandLine;
using Tally.Cli.Rendering;
using Tally.Ingest;
using Tally.Reports;
using Tally.Reports.Blocks;

namespace Tally.Cli.Commands;

/// <summary><c>tally blocks</c>: five-hour billing windows, with burn rate and the active window's projection.</summary>
internal static class BlocksCommand
{
    public static Command Create(CliConsoles consoles)
    {
        var common = new CommonOptions();
        var costMode = HotspotsCommand.CostModeOption();
        var command = new Command("blocks", "Five-hour usage windows as Claude plans bill them: tokens, cost, calls, burn rate, and a projection for the active window.");
        common.AddTo(command);
        command.Add(costMode);
        command.SetAction(async (result, ct) =>
        {
            await using var context = await TallyContext.OpenAsync(result.GetValue(common.Ledger), AgentEnvironment.Current, ct, prices: true);
            var zone = common.Zone(result);
            var now = DateTimeOffset.UtcNow;
            var options = new BlocksOptions(
                common.Filter(result, zone, now), now, Enum.Parse<CostMode>(result.GetValue(costMode)!, ignoreCase: true));
            RecordReports.AllocateWithoutCollections();
            var blocks = await BlocksQuery.RunAsync(context.Ledger, await context.PricesAsync, options, ct);
            if (result.GetValue(common.Json))
            {
                consoles.Out.Profile.Out.Writer.WriteLine(JsonOutput.Write(w => BlocksView.WriteJson(w, blocks)));
            }
            else
            {
                BlocksView.Render(consoles.Out, blocks, zone);
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
