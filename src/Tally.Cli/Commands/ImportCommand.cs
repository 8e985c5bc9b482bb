using System.CommandLine;
using Spectre.Console;
using Tally.Cli.Rendering;
using Tally.Ingest;
using Tally.Projects;
using Tally.Sources.Events;

namespace Tally.Cli.Commands;

/// <summary>
/// <c>tally import FILE...</c>: usage-event files written by other agents (Tally's own schema or
/// <c>llm_usage</c> events). Each file keeps a cursor like a log, so importing it again reads only
/// what was appended, and an event seen twice counts once.
/// </summary>
internal static class ImportCommand
{
    public static Command Create(CliConsoles consoles)
    {
        var files = new Argument<string[]>("files") { Description = "JSONL files of usage events.", Arity = ArgumentArity.OneOrMore };
        var json = new Option<bool>("--json") { Description = "Write the result as JSON." };
        var ledger = new Option<string?>("--ledger") { Description = "The ledger: a SQLite file path, or a postgres:// URL or connection string for a team ledger (default: $TALLY_LEDGER, else \"ledger\" in $TALLY_HOME/config.json, else $TALLY_HOME/ledger.db)." };
        var command = new Command("import", "Import usage-event files that other agents write (see the README for the schema).") { files, json, ledger };
        command.SetAction(async (result, ct) =>
        {
            var environment = AgentEnvironment.Current;
            var paths = result.GetValue(files)!.Select(environment.ExpandPath).ToList();
            var missing = paths.Where(p => !File.Exists(p)).ToList();
            if (missing.Count > 0)
            {
                throw new UsageException($"No such file: {string.Join(", ", missing)}.");
            }

            await using var context = await TallyContext.OpenAsync(result.GetValue(ledger), environment, ct);
            var source = new UsageEventFiles(paths, new ProjectKeyResolver());
            var outcome = await context.Ingester([source]).RunAsync(cancellationToken: ct);
            foreach (var line in outcome.Skipped)
            {
                consoles.Error.MarkupLineInterpolated($"[yellow]warning:[/] {line.Path}:{line.Line}: {line.Reason}");
            }

            if (result.GetValue(json))
            {
                consoles.Out.Profile.Out.Writer.WriteLine(JsonOutput.Write(w => IngestCommand.Write(w, outcome, asProperty: false)));
            }
            else
            {
                consoles.Out.WriteLine(IngestCommand.Describe(outcome));
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
