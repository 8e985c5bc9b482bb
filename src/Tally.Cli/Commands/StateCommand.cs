using Spectre.Console;
using System.CommandLine;
using Tally.Cli.Rendering;
using Tally.Ingest;

namespace Tally.Cli.Commands;

/// <summary>
/// <c>tally state</c>: where the ledger is, its schema version and what it holds.
/// <c>tally state rebuild</c> forgets everything read from agents' logs and reads the logs again,
/// so that a fix in a reader reaches old data; what only the ledger has (imported events, SDK
/// records) is kept.
/// </summary>
internal static class StateCommand
{
    public static Command Create(CliConsoles consoles)
    {
        var json = new Option<bool>("--json") { Description = "Write JSON to stdout." };
        var ledger = new Option<string?>("--ledger") { Description = "The ledger: a SQLite file path, or a postgres:// URL or connection string for a team ledger (default: $TALLY_LEDGER, else \"ledger\" in $TALLY_HOME/config.json, else $TALLY_HOME/ledger.db)." };
        var command = new Command("state", "Where the ledger is, its schema version, calls per source, files tracked, lines skipped.") { json, ledger };
        command.SetAction(async (result, ct) =>
        {
            await using var context = await TallyContext.OpenAsync(result.GetValue(ledger), AgentEnvironment.Current, ct);
            await WriteAsync(context, consoles, result.GetValue(json), ct);
            return ExitCodes.Ok;
        });

        var rebuildJson = new Option<bool>("--json") { Description = "Write JSON to stdout." };
        var rebuildLedger = new Option<string?>("--ledger") { Description = "The ledger: a SQLite file path, or a postgres:// URL or connection string." };
        var rebuild = new Command("rebuild", "Forget what was read from the agents' logs and read them again; imported events and SDK records are kept.")
        {
            rebuildJson, rebuildLedger,
        };
        rebuild.SetAction(async (result, ct) =>
        {
            await using var context = await TallyContext.OpenAsync(result.GetValue(rebuildLedger), AgentEnvironment.Current, ct);
            var logSources = context.Sources(null).Select(s => s.Name).ToList();
            await context.Ledger.ForgetSourcesAsync(logSources, ct);
            var outcome = await IngestCommand.RunAsync(context, null, consoles, ct);
            consoles.Error.WriteLine("Rebuilt from the logs: " + IngestCommand.Describe(outcome));
            await WriteAsync(context, consoles, result.GetValue(rebuildJson), ct);
            return ExitCodes.Ok;
        });
        command.Add(rebuild);
        return command;
    }

    private static async Task WriteAsync(TallyContext context, CliConsoles consoles, bool json, CancellationToken ct)
    {
        var state = await context.Ledger.GetStatisticsAsync(ct);
        if (json)
        {
            consoles.Out.Profile.Out.Writer.WriteLine(JsonOutput.Write(w => StateView.WriteJson(w, state)));
        }
        else
        {
            StateView.Render(consoles.Out, state);
        }
    }
}
