using System.Text.Json;
using Tally.Ledger.Postgres.Tests.TestSupport;

namespace Tally.Cli.Tests;

/// <summary>
/// The team ledger through the built CLI, against a real PostgreSQL server: ledgers named by URL,
/// connection string or config.json, user and host on every call, <c>tally push</c> from a local
/// ledger, and passwords that never reach the output.
/// </summary>
public sealed class TeamLedgerEndToEndTests : IDisposable
{
    private const string Password = "hunter2-s3cret";
    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    private static async Task<string> NewTeamLedgerAsync()
    {
        var server = await PostgresServer.InstanceAsync();
        var url = await server.CreateDatabaseAsync();
        return url.Replace("postgres://tally@", $"postgres://tally:{Password}@", StringComparison.Ordinal);
    }

    private static JsonElement Totals(JsonElement summary) => summary.GetProperty("totals");

    private async Task<CliResult> RunCheckedAsync(params string[] args)
    {
        var result = await _cli.RunAsync(args);
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Stderr}");
        Assert.DoesNotContain(Password, result.Stdout + result.Stderr, StringComparison.Ordinal);
        return result;
    }

    [PostgresFact]
    public async Task Push_copies_the_local_ledger_and_a_second_push_sends_only_what_is_new()
    {
        var team = await NewTeamLedgerAsync();
        _cli.AddClaudeFixtures();
        await RunCheckedAsync("ingest");
        var local = await _cli.JsonAsync("summary");

        var first = JsonDocument.Parse((await RunCheckedAsync("push", "--to", team, "--json")).Stdout).RootElement;
        var second = JsonDocument.Parse((await RunCheckedAsync("push", "--to", team, "--json")).Stdout).RootElement;
        var shared = await _cli.JsonAsync("summary", "--ledger", team);

        var localCalls = Totals(local).GetProperty("calls").GetInt64();
        Assert.True(localCalls > 0);
        Assert.Equal(localCalls, first.GetProperty("callsSent").GetInt64());
        Assert.Equal(0, second.GetProperty("callsSent").GetInt64());
        Assert.Equal(0, second.GetProperty("toolResultsSent").GetInt64());
        Assert.Equal(first.GetProperty("callsSent").GetInt64() + first.GetProperty("toolResultsSent").GetInt64(), second.GetProperty("unchanged").GetInt64());
        Assert.DoesNotContain(Password, first.GetProperty("to").GetString()!, StringComparison.Ordinal);
        // Same records, same answers: every report matches, row by row.
        Assert.Equal(local.GetProperty("rows").ToString(), shared.GetProperty("rows").ToString());
        Assert.Equal(Totals(local).ToString(), Totals(shared).ToString());
        foreach (var report in new[] { new[] { "summary", "--by", "day" }, ["summary", "--by", "project"], ["sessions"], ["hotspots"], ["blocks"] })
        {
            var fromLocal = (await _cli.JsonAsync(report)).ToString();
            var fromTeam = (await _cli.JsonAsync([.. report, "--ledger", team])).ToString();
            Assert.True(fromLocal == fromTeam, $"tally {string.Join(' ', report)} differs:\n{fromLocal}\n{fromTeam}");
        }

        // New logs arrive offline: the next push sends exactly the new calls.
        _cli.AddCodexFixtures("fork-parent.jsonl");
        await RunCheckedAsync("ingest");
        var codexCalls = Totals(await _cli.JsonAsync("summary", "--source", "codex")).GetProperty("calls").GetInt64();
        var third = JsonDocument.Parse((await RunCheckedAsync("push", "--to", team, "--json")).Stdout).RootElement;

        Assert.True(codexCalls > 0);
        Assert.Equal(codexCalls, third.GetProperty("callsSent").GetInt64());
        Assert.Equal(localCalls + codexCalls, Totals(await _cli.JsonAsync("summary", "--ledger", team)).GetProperty("calls").GetInt64());
    }

    [PostgresFact]
    public async Task Machines_ingesting_into_the_team_ledger_are_told_apart_by_host_and_user()
    {
        var team = await NewTeamLedgerAsync();
        _cli.AddClaudeFixtures();
        _cli.Environment["TALLY_LEDGER"] = team;
        _cli.Environment["TALLY_USER"] = "ann";
        _cli.Environment["TALLY_HOST"] = "laptop";
        await RunCheckedAsync("ingest");
        // A second machine (its own cursors) ingests the same synced logs: nothing is counted twice.
        _cli.Environment["TALLY_USER"] = "ci";
        _cli.Environment["TALLY_HOST"] = "runner-1";
        var again = JsonDocument.Parse((await RunCheckedAsync("ingest", "--json")).Stdout).RootElement;

        var byHost = await _cli.JsonAsync("summary", "--by", "host");
        var byUser = await _cli.JsonAsync("summary", "--by", "user");
        var runner = await _cli.JsonAsync("summary", "--host", "runner-1");
        var ann = await _cli.JsonAsync("summary", "--user", "ann", "--host", "laptop");
        var state = JsonDocument.Parse((await RunCheckedAsync("state", "--json")).Stdout).RootElement;

        Assert.True(again.GetProperty("filesRead").GetInt64() > 0);
        Assert.Equal(0, again.GetProperty("callsAdded").GetInt64());
        var row = Assert.Single(byHost.GetProperty("rows").EnumerateArray());
        Assert.Equal("laptop", row.GetProperty("key").GetString());
        Assert.Equal("ann", Assert.Single(byUser.GetProperty("rows").EnumerateArray()).GetProperty("key").GetString());
        Assert.Equal(0, Totals(runner).GetProperty("calls").GetInt64());
        Assert.Equal(Totals(byHost).GetProperty("calls").GetInt64(), Totals(ann).GetProperty("calls").GetInt64());
        Assert.StartsWith("postgres://tally@127.0.0.1:", state.GetProperty("ledger").GetString(), StringComparison.Ordinal);
    }

    [PostgresFact]
    public async Task Config_json_names_the_ledger_and_a_bad_location_is_a_usage_error_without_the_password()
    {
        var team = await NewTeamLedgerAsync();
        _cli.AddClaudeFixtures();
        Directory.CreateDirectory(_cli.TallyHome);
        File.WriteAllText(Path.Combine(_cli.TallyHome, "config.json"), JsonSerializer.Serialize(new Dictionary<string, string> { ["ledger"] = team }));

        await RunCheckedAsync("ingest");
        var state = JsonDocument.Parse((await RunCheckedAsync("state", "--json")).Stdout).RootElement;
        var bad = await _cli.RunAsync("summary", "--ledger", $"postgres://tally:{Password}@127.0.0.1/db?no_such_option=1");

        Assert.StartsWith("postgres://", state.GetProperty("ledger").GetString(), StringComparison.Ordinal);
        Assert.True(state.GetProperty("callsBySource").GetProperty("claude-code").GetInt64() > 0);
        Assert.False(File.Exists(_cli.Ledger));
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("no_such_option", bad.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, bad.Stdout + bad.Stderr, StringComparison.Ordinal);
    }
}
