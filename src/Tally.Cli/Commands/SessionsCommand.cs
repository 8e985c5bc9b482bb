using System.CommandLine;
using Tally.Cli.Rendering;
using Tally.Ingest;
using Tally.Reports;

namespace Tally.Cli.Commands;

/// <summary><c>tally sessions</c>: recent sessions, newest first, from the ledger.</summary>
internal static class SessionsCommand
{
    public static Command Create(CliConsoles consoles)
    {
        var common = new CommonOptions();
        var limit = new Option<int>("--limit", "-n") { Description = "How many sessions, the most recent (default 20).", DefaultValueFactory = _ => 20 };
        limit.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1)
            {
                r.AddError("--limit must be at least 1.");
            }
        });
        var command = new Command("sessions", "Recent sessions, newest first: source, project, first and last call, calls, cost and models.");
        common.AddTo(command);
        command.Add(limit);
        command.SetAction(async (result, ct) =>
        {
            await using var context = await TallyContext.OpenAsync(result.GetValue(common.Ledger), AgentEnvironment.Current, ct, prices: true);
            var zone = common.Zone(result);
            var sessions = await SessionsQuery.RunAsync(
                context.Ledger, await context.PricesAsync, common.Filter(result, zone, DateTimeOffset.UtcNow), result.GetValue(limit), CostMode.Auto, ct);
            if (result.GetValue(common.Json))
            {
                consoles.Out.Profile.Out.Writer.WriteLine(JsonOutput.Write(w => SessionsView.WriteJson(w, sessions)));
            }
            else
            {
                SessionsView.Render(consoles.Out, sessions, zone);
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
