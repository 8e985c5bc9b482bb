using System.CommandLine;
using Tally.Cli.Rendering;
using Tally.Ingest;
using Tally.Reports;

namespace Tally.Cli.Commands;

/// <summary>
/// <c>tally summary</c>: calls, token buckets, cost and cache hit ratio, grouped by model (or
/// day, week, month, session, project, provider, source, stop reason), with the turn outcomes
/// and the models that could not be priced. <c>tally</c> with no command runs it after an ingest.
/// </summary>
internal sealed class SummaryCommand
{
    public CommonOptions Common { get; } = new();

    public Option<string> By { get; } = new Option<string>("--by")
    {
        Description = "Group rows by: model, day, week, month, session, project, provider, source, stop-reason, user, host.",
        DefaultValueFactory = _ => "model",
    }.AcceptOnlyFromAmong([.. SummaryGroupings.Names]);

    public Option<string> CostModeOption { get; } = new Option<string>("--cost-mode")
    {
        Description = "Where costs come from: auto (the source's own figure when it gives one, else the price catalog), calculate, reported.",
        DefaultValueFactory = _ => "auto",
    }.AcceptOnlyFromAmong("auto", "calculate", "reported");

    public void AddTo(Command command)
    {
        Common.AddTo(command);
        command.Add(By);
        command.Add(CostModeOption);
    }

    public static Command Create(CliConsoles consoles)
    {
        var summary = new SummaryCommand();
        var command = new Command("summary", "Usage and cost from the ledger, grouped by model, day, week, month, session, project, provider, source or stop reason.");
        summary.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            await using var context = await TallyContext.OpenAsync(result.GetValue(summary.Common.Ledger), AgentEnvironment.Current, ct, prices: true);
            return await summary.RunAsync(result, context, consoles, extraJson: null, ct);
        });
        return command;
    }

    public SummaryOptions Options(ParseResult result)
    {
        var zone = Common.Zone(result);
        return new SummaryOptions(
            Common.Filter(result, zone, DateTimeOffset.UtcNow),
            SummaryGroupings.Parse(result.GetValue(By)!),
            zone,
            Enum.Parse<CostMode>(result.GetValue(CostModeOption)!, ignoreCase: true));
    }

    public async Task<int> RunAsync(
        ParseResult result, TallyContext context, CliConsoles consoles, Action<System.Text.Json.Utf8JsonWriter>? extraJson, CancellationToken ct)
    {
        var options = Options(result);
        var report = await SummaryQuery.RunAsync(context.Ledger, await context.PricesAsync, options, ct);
        if (result.GetValue(Common.Json))
        {
            consoles.Out.Profile.Out.Writer.WriteLine(JsonOutput.Write(w => SummaryJson.Write(w, report, extraJson)));
        }
        else
        {
            SummaryTable.Render(consoles.Out, report, TallyContext.PriceOverridesPath(context.Environment));
        }

        return ExitCodes.Ok;
    }
}
