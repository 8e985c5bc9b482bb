using System.CommandLine;
using System.Text.Json;
using Spectre.Console;
using Tally.Cli.Rendering;
using Tally.Ingest;

namespace Tally.Cli.Commands;

/// <summary>
/// <c>tally ingest</c>: one sweep over the agents' logs into the ledger. Warnings for bad lines
/// and progress go to stderr; the one-line result (or <c>--json</c>) to stdout.
/// </summary>
internal static class IngestCommand
{
    /// <summary>Bad-line warnings printed per run; the rest are counted (and kept per file by <c>tally state</c>).</summary>
    private const int WarningsShown = 20;

    public static Command Create(CliConsoles consoles)
    {
        var json = new Option<bool>("--json") { Description = "Write the result as JSON." };
        var ledger = new Option<string?>("--ledger") { Description = "The ledger: a SQLite file path, or a postgres:// URL or connection string for a team ledger (default: $TALLY_LEDGER, else \"ledger\" in $TALLY_HOME/config.json, else $TALLY_HOME/ledger.db)." };
        var source = new Option<string?>("--source") { Description = "Only this source: claude-code, codex, opencode, gemini." };
        var hook = new Option<string?>("--hook")
        {
            Description = "Run as an agent's hook: read its JSON payload on stdin, ingest just that session, print nothing, always exit 0.",
        }.AcceptOnlyFromAmong("claude");
        var watch = new Option<bool>("--watch") { Description = "Keep running: ingest as the agents write, until Ctrl-C." };
        var interval = new Option<int>("--interval")
        {
            Description = "With --watch: seconds between sweeps when no file-system event arrives (default 30).",
            DefaultValueFactory = _ => 30,
        };
        var command = new Command("ingest", "Read what is new in the agents' logs into the ledger.") { json, ledger, source, hook, watch, interval };
        command.SetAction(async (result, ct) =>
        {
            if (result.GetValue(hook) is not null)
            {
                return await ClaudeHook.RunAsync(result.GetValue(ledger), Console.In, consoles, ct);
            }

            await using var context = await TallyContext.OpenAsync(result.GetValue(ledger), AgentEnvironment.Current, ct);
            if (result.GetValue(watch))
            {
                return await WatchAsync(context, TallyContext.ValidateSource(result.GetValue(source)), result.GetValue(interval), consoles, ct);
            }

            var outcome = await RunAsync(context, TallyContext.ValidateSource(result.GetValue(source)), consoles, ct);
            if (result.GetValue(json))
            {
                consoles.Out.Profile.Out.Writer.WriteLine(JsonOutput.Write(w => Write(w, outcome, asProperty: false)));
            }
            else
            {
                consoles.Out.WriteLine(Describe(outcome));
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Runs a sweep, showing progress on a terminal when it takes over a second, and warns about bad lines.</summary>
    public static async Task<IngestResult> RunAsync(TallyContext context, string? source, CliConsoles consoles, CancellationToken ct)
    {
        var ingester = context.Ingester(context.Sources(source));
        IngestProgress? latest = null;
        var sweep = ingester.RunAsync(new Progress<IngestProgress>(p => latest = p), ct);
        var done = await Task.WhenAny(sweep, Task.Delay(TimeSpan.FromSeconds(1), ct));
        if (done != sweep && consoles.ErrorIsTerminal)
        {
            await consoles.Error.Progress().AutoClear(true).StartAsync(async progress =>
            {
                var bar = progress.AddTask("Reading agent logs");
                while (!sweep.IsCompleted)
                {
                    if (latest is { BytesTotal: > 0 } p)
                    {
                        bar.MaxValue = p.BytesTotal;
                        bar.Value = p.BytesDone;
                    }

                    await Task.WhenAny(sweep, Task.Delay(100, CancellationToken.None));
                }
            });
        }

        var outcome = await sweep;
        foreach (var line in outcome.Skipped.Take(WarningsShown))
        {
            consoles.Error.MarkupLineInterpolated($"[yellow]warning:[/] {line.Path}:{line.Line}: {line.Reason}");
        }

        if (outcome.Skipped.Count > WarningsShown)
        {
            consoles.Error.MarkupLineInterpolated($"[yellow]warning:[/] {outcome.Skipped.Count - WarningsShown} more lines skipped.");
        }

        if (outcome.FoundNothing)
        {
            var places = outcome.Sources.SelectMany(s => s.SearchedRoots.Select(r => $"  {s.Source}: {r}"));
            consoles.Error.WriteLine("No agent logs found. Looked in:" + Environment.NewLine + string.Join(Environment.NewLine, places));
        }

        return outcome;
    }

    /// <summary><c>--watch</c>: sweeps as the agents write; a line on stderr for each sweep that found something.</summary>
    private static async Task<int> WatchAsync(TallyContext context, string? source, int interval, CliConsoles consoles, CancellationToken ct)
    {
        if (interval < 1)
        {
            throw new UsageException("--interval must be at least 1 second.");
        }

        var sources = context.Sources(source);
        var watcher = new IngestWatcher(context.Ingester(sources), sources) { PollInterval = TimeSpan.FromSeconds(interval) };
        consoles.Error.WriteLine("Watching the agents' logs; Ctrl-C stops.");
        await watcher.RunAsync(
            outcome =>
            {
                foreach (var line in outcome.Skipped)
                {
                    consoles.Error.MarkupLineInterpolated($"[yellow]warning:[/] {line.Path}:{line.Line}: {line.Reason}");
                }

                if (outcome.FilesRead > 0)
                {
                    consoles.Error.WriteLine($"{DateTime.Now:HH:mm:ss} {Describe(outcome)}");
                }
            },
            ct);
        consoles.Error.WriteLine("Stopped; everything read is saved.");
        return ExitCodes.Ok;
    }

    public static string Describe(IngestResult outcome) =>
        $"Read {Formats.Count(outcome.FilesRead)} {Plural(outcome.FilesRead, "file")}, added {Formats.Count(outcome.CallsAdded)} {Plural(outcome.CallsAdded, "call")}, "
        + $"skipped {Formats.Count(outcome.Skipped.Count)} {Plural(outcome.Skipped.Count, "line")}.";

    public static void Write(Utf8JsonWriter writer, IngestResult outcome, bool asProperty)
    {
        if (asProperty)
        {
            writer.WriteStartObject("ingest");
        }
        else
        {
            writer.WriteStartObject();
        }

        writer.WriteNumber("filesRead", outcome.FilesRead);
        writer.WriteNumber("callsAdded", outcome.CallsAdded);
        writer.WriteNumber("linesSkipped", outcome.Skipped.Count);
        writer.WriteStartArray("skipped");
        foreach (var line in outcome.Skipped)
        {
            writer.WriteStartObject();
            writer.WriteString("path", line.Path);
            writer.WriteNumber("line", line.Line);
            writer.WriteString("reason", line.Reason);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteStartArray("sources");
        foreach (var sweep in outcome.Sources)
        {
            writer.WriteStartObject();
            writer.WriteString("source", sweep.Source);
            writer.WriteNumber("filesFound", sweep.FilesFound);
            writer.WriteStartArray("searched");
            foreach (var root in sweep.SearchedRoots)
            {
                writer.WriteStringValue(root);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static string Plural(long count, string noun) => count == 1 ? noun : noun + "s";
}
