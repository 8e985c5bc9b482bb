using System.CommandLine;
using Microsoft.Data.Sqlite;
using Spectre.Console;
using Tally.Cli.Commands;
using Tally.Ingest;
using Tally.Pricing;

namespace Tally.Cli;

/// <summary>
/// The root of the command line. <c>tally</c> alone ingests the local agent logs and prints the
/// summary; subcommands do one thing each. Usage errors exit with 2, failures with 1, each with
/// one sentence on stderr.
/// </summary>
internal static class TallyCommand
{
    public static RootCommand Create(CliConsoles consoles)
    {
        var summary = new SummaryCommand();
        var root = new RootCommand("Tally: where your LLM agents' tokens and money go. With no command: ingest the local agent logs, then print the summary.");
        summary.AddTo(root);
        root.Add(IngestCommand.Create(consoles));
        root.Add(SummaryCommand.Create(consoles));
        root.Add(SessionsCommand.Create(consoles));
        root.Add(HotspotsCommand.Create(consoles));
        root.Add(BlocksCommand.Create(consoles));
        root.Add(ImportCommand.Create(consoles));
        root.Add(StateCommand.Create(consoles));
        root.Add(PushCommand.Create(consoles));
        root.SetAction(async (result, ct) =>
        {
            await using var context = await TallyContext.OpenAsync(result.GetValue(summary.Common.Ledger), AgentEnvironment.Current, ct, prices: true);
            var source = TallyContext.ValidateSource(result.GetValue(summary.Common.Source));
            var json = result.GetValue(summary.Common.Json);
            var ingest = await IngestCommand.RunAsync(context, source, consoles, ct);
            if (!json)
            {
                consoles.Error.MarkupLineInterpolated($"[dim]{IngestCommand.Describe(ingest)}[/]");
            }

            return await summary.RunAsync(result, context, consoles, w => IngestCommand.Write(w, ingest, asProperty: true), ct);
        });
        return root;
    }

    public static async Task<int> RunAsync(string[] args, CliConsoles consoles)
    {
        var root = Create(consoles);
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                consoles.Error.MarkupLineInterpolated($"[red]error:[/] {error.Message}");
            }

            consoles.Error.WriteLine("See 'tally --help'.");
            return ExitCodes.Usage;
        }

        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (UsageException e)
        {
            consoles.Error.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            return ExitCodes.Usage;
        }
        catch (OperationCanceledException)
        {
            consoles.Error.WriteLine("Cancelled; everything committed so far is kept.");
            return ExitCodes.Failure;
        }
        catch (Exception e) when (e is PriceOverridesException or System.Data.Common.DbException or IOException or UnauthorizedAccessException or NotSupportedException)
        {
            consoles.Error.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            return ExitCodes.Failure;
        }
    }
}
