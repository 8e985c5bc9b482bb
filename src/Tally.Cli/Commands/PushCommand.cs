using Spectre.Console;
using System.CommandLine;
using System.Text.Json;
using Tally.Cli.Rendering;
using Tally.Ingest;
using Tally.Ledger;
using Tally.Ledger.Postgres;

namespace Tally.Cli.Commands;

/// <summary>
/// <c>tally push</c>: copies the local ledger into the team ledger, for people who collect offline
/// and share later. Only what is new or changed since the last push to the same team ledger is
/// sent (see <see cref="LedgerPush"/>); sending twice never double counts, since the team ledger's
/// writes are upserts.
/// </summary>
internal static class PushCommand
{
    public static Command Create(CliConsoles consoles)
    {
        var to = new Option<string?>("--to")
        {
            Description = "The team ledger: a postgres:// URL or connection string (default: \"team\" in $TALLY_HOME/config.json).",
        };
        var ledger = new Option<string?>("--ledger") { Description = "The local ledger to copy: a SQLite file path (default: $TALLY_HOME/ledger.db)." };
        var json = new Option<bool>("--json") { Description = "Write the result as JSON." };
        var command = new Command("push", "Copy the local ledger into the team ledger; only what is new or changed is sent.") { to, ledger, json };
        command.SetAction(async (result, ct) =>
        {
            var environment = AgentEnvironment.Current;
            var (from, target) = Locations(result.GetValue(ledger), result.GetValue(to), environment);
            var origin = RecordOrigin.FromEnvironment(environment);
            var options = new PostgresLedgerOptions { User = origin.User, Host = origin.Host ?? Environment.MachineName };
            await using var local = await from.OpenAsync(options, ct);
            await using var team = await target.OpenAsync(options, ct);
            var pushed = await LedgerPush.RunAsync(local, team, LedgerPush.StateFile(environment.TallyHome, from.Display, target.Display), ct);
            if (result.GetValue(json))
            {
                consoles.Out.Profile.Out.Writer.WriteLine(JsonOutput.Write(w => Write(w, pushed, target.Display)));
            }
            else
            {
                consoles.Out.WriteLine(
                    $"Pushed {Formats.Count(pushed.CallsSent)} calls and {Formats.Count(pushed.ToolResultsSent)} tool results to {target.Display}; "
                    + $"{Formats.Count(pushed.Unchanged)} already there.");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static (LedgerLocation From, LedgerLocation To) Locations(string? ledgerOption, string? toOption, AgentEnvironment environment)
    {
        try
        {
            var from = ledgerOption is null
                ? LedgerLocation.Parse(Path.Combine(environment.TallyHome, "ledger.db"), environment)
                : LedgerLocation.Parse(ledgerOption, environment);
            var team = toOption ?? LedgerLocation.ReadTeamLedger(environment)
                ?? throw new UsageException($"Name the team ledger: tally push --to postgres://user@host/db, or \"team\" in {LedgerLocation.ConfigPath(environment)}.");
            var to = LedgerLocation.Parse(team, environment);
            if (!to.IsPostgres)
            {
                throw new UsageException("tally push copies into a team ledger: give --to a postgres:// URL or connection string.");
            }

            return (from, to);
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
    }

    private static void Write(Utf8JsonWriter writer, PushResult pushed, string to)
    {
        writer.WriteStartObject();
        writer.WriteString("to", to);
        writer.WriteNumber("callsSent", pushed.CallsSent);
        writer.WriteNumber("toolResultsSent", pushed.ToolResultsSent);
        writer.WriteNumber("unchanged", pushed.Unchanged);
        writer.WriteEndObject();
    }
}
