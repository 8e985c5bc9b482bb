using System.Text.Json;

namespace Tally.Cli.Tests;

/// <summary>
/// The whole path for a Claude Code user, through the built CLI: discovery, collapsing of
/// streamed rows, subagents counted once, resumed-session replays counted once, progress mirrors
/// and Task-result usage ignored, unknown counts kept unknown, malformed lines reported, and
/// incremental ingest (append, still-streaming call, truncated file).
/// </summary>
/// <remarks>
/// Expected values are worked out by hand from <c>Fixtures/claude</c>: sonnet-4-5 has calls
/// msg_a1 (3 rows), msg_a2, msg_a3, msg_a4 and msg_b2; haiku-4-5 has msg_s1 (the subagent file;
/// its progress mirror and the Task result's usage are not calls); msg_a1/msg_a2 replayed in the
/// resumed session count once; msg_b1 is on an unpriced model; one line is truncated JSON.
/// </remarks>
public sealed class ClaudeCodeEndToEndTests : IDisposable
{
    private const string Sonnet = "claude-sonnet-4-5-20250929";
    private const string Haiku = "claude-haiku-4-5-20251001";
    private const string Unpriced = "claude-experimental-x";
    private const string Session1 = "11111111-1111-4111-8111-111111111111";
    private const string Session2 = "22222222-2222-4222-8222-222222222222";

    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    private static JsonElement Row(JsonElement summary, string key) =>
        summary.GetProperty("rows").EnumerateArray().Single(r => r.GetProperty("key").GetString() == key);

    private static long? Bucket(JsonElement row, string bucket) =>
        row.GetProperty("tokens").GetProperty(bucket) is { ValueKind: JsonValueKind.Number } n ? n.GetInt64() : null;

    [Fact]
    public async Task Tally_ingests_the_fixtures_and_reports_exact_totals_per_model()
    {
        _cli.AddClaudeFixtures();

        var summary = await _cli.JsonAsync();

        Assert.Equal("model", summary.GetProperty("groupBy").GetString());
        var sonnet = Row(summary, Sonnet);
        Assert.Equal(5, sonnet.GetProperty("calls").GetInt64());
        Assert.Equal(30, Bucket(sonnet, "input"));
        Assert.Equal(7000, Bucket(sonnet, "cacheRead"));
        Assert.Equal(100, Bucket(sonnet, "cacheWrite5m"));
        Assert.Equal(500, Bucket(sonnet, "cacheWrite1h"));
        Assert.Equal(115, Bucket(sonnet, "output"));
        Assert.Null(Bucket(sonnet, "reasoning"));
        // $3 input, $15 output, $0.30 cache read, $3.75 5m write, $6 1h write per million tokens.
        Assert.Equal(0.00729m, sonnet.GetProperty("cost").GetDecimal());

        var haiku = Row(summary, Haiku);
        Assert.Equal(1, haiku.GetProperty("calls").GetInt64());
        Assert.Equal(200, Bucket(haiku, "input"));
        Assert.Equal(40, Bucket(haiku, "output"));
        Assert.Equal(0.0004m, haiku.GetProperty("cost").GetDecimal()); // $1 in, $5 out

        var unpriced = Row(summary, Unpriced);
        Assert.Equal(JsonValueKind.Null, unpriced.GetProperty("cost").ValueKind);
        Assert.Null(Bucket(unpriced, "cacheRead"));
        Assert.Equal([Unpriced], summary.GetProperty("unpricedModels").EnumerateArray().Select(m => m.GetString()));

        var totals = summary.GetProperty("totals");
        Assert.Equal(7, totals.GetProperty("calls").GetInt64());
        Assert.Equal(0.00769m, totals.GetProperty("cost").GetDecimal());
        Assert.Equal(1, totals.GetProperty("unpricedCalls").GetInt64());

        var stops = summary.GetProperty("stopReasons");
        Assert.Equal(4, stops.GetProperty("endTurn").GetInt64());
        Assert.Equal(2, stops.GetProperty("toolUse").GetInt64());
        Assert.Equal(1, stops.GetProperty("maxTokens").GetInt64());

        var ingest = summary.GetProperty("ingest");
        Assert.Equal(3, ingest.GetProperty("filesRead").GetInt64());
        Assert.Equal(7, ingest.GetProperty("callsAdded").GetInt64());
        var skipped = Assert.Single(ingest.GetProperty("skipped").EnumerateArray());
        Assert.EndsWith($"{Session1}.jsonl", skipped.GetProperty("path").GetString());
        Assert.Equal(7, skipped.GetProperty("line").GetInt64());
    }

    [Fact]
    public async Task A_second_ingest_with_nothing_new_adds_nothing_and_totals_stay()
    {
        _cli.AddClaudeFixtures();
        var first = await _cli.JsonAsync("ingest");

        var second = await _cli.JsonAsync("ingest");
        var summary = await _cli.JsonAsync("summary");

        Assert.Equal(7, first.GetProperty("callsAdded").GetInt64());
        Assert.Equal(0, second.GetProperty("callsAdded").GetInt64());
        Assert.Equal(0, second.GetProperty("filesRead").GetInt64());
        Assert.Equal(7, summary.GetProperty("totals").GetProperty("calls").GetInt64());
    }

    [Fact]
    public async Task Appending_adds_exactly_the_new_call_and_a_call_streaming_at_the_end_is_counted_once_complete()
    {
        _cli.AddClaudeFixtures();
        await _cli.JsonAsync("ingest");
        var file = Path.Combine(_cli.ClaudeProjects, "-work-api", $"{Session2}.jsonl");

        // The call is still streaming: first content block written, no stop reason yet.
        File.AppendAllText(file, AssistantRow("msg_c1", "c1a", stop: null, output: 5, text: "Thinking") + "\n");
        var during = await _cli.JsonAsync("ingest");
        File.AppendAllText(file, AssistantRow("msg_c1", "c1b", stop: "end_turn", output: 25, text: "Done") + "\n");
        var after = await _cli.JsonAsync("ingest");
        var summary = await _cli.JsonAsync("summary");

        Assert.Equal(1, during.GetProperty("callsAdded").GetInt64());
        Assert.Equal(0, after.GetProperty("callsAdded").GetInt64());
        var sonnet = Row(summary, Sonnet);
        Assert.Equal(6, sonnet.GetProperty("calls").GetInt64());
        Assert.Equal(115 + 25, Bucket(sonnet, "output"));
        Assert.Equal(5, summary.GetProperty("stopReasons").GetProperty("endTurn").GetInt64());
    }

    [Fact]
    public async Task A_truncated_or_rewritten_file_neither_loses_nor_duplicates_calls()
    {
        _cli.AddClaudeFixtures();
        await _cli.JsonAsync("ingest");
        var file = Path.Combine(_cli.ClaudeProjects, "-work-api", $"{Session2}.jsonl");
        var lines = File.ReadAllLines(file);

        File.WriteAllLines(file, lines.Take(2));
        await _cli.JsonAsync("ingest");
        File.WriteAllLines(file, lines);
        await _cli.JsonAsync("ingest");
        var summary = await _cli.JsonAsync("summary");

        Assert.Equal(7, summary.GetProperty("totals").GetProperty("calls").GetInt64());
        Assert.Equal(115, Bucket(Row(summary, Sonnet), "output"));
    }

    [Fact]
    public async Task Two_ingests_at_once_never_double_count()
    {
        _cli.AddClaudeFixtures();

        var runs = await Task.WhenAll(_cli.RunAsync("ingest", "--json"), _cli.RunAsync("ingest", "--json"), _cli.RunAsync("ingest", "--json"));
        var summary = await _cli.JsonAsync("summary");

        Assert.All(runs, r => Assert.Equal(0, r.ExitCode));
        Assert.Equal(7, summary.GetProperty("totals").GetProperty("calls").GetInt64());
        Assert.Equal(115, Bucket(Row(summary, Sonnet), "output"));
    }

    [Fact]
    public async Task Days_follow_the_requested_time_zone_and_filters_narrow_the_calls()
    {
        _cli.AddClaudeFixtures();
        await _cli.JsonAsync("ingest");

        var utc = await _cli.JsonAsync("summary", "--by", "day", "--timezone", "UTC");
        var tokyo = await _cli.JsonAsync("summary", "--by", "day", "--timezone", "Asia/Tokyo");
        var since = await _cli.JsonAsync("summary", "--since", "2026-11-21", "--timezone", "UTC");
        var session = await _cli.JsonAsync("summary", "--session", "2222");
        var project = await _cli.JsonAsync("summary", "--project", "api");

        Assert.Equal(["2026-11-20", "2026-11-21"], utc.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("key").GetString()));
        // msg_b2 at 23:30 UTC on the 21st is the 22nd in Tokyo.
        Assert.Equal(["2026-11-20", "2026-11-21", "2026-11-22"], tokyo.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("key").GetString()));
        Assert.Equal(2, since.GetProperty("totals").GetProperty("calls").GetInt64());
        Assert.Equal(2, session.GetProperty("totals").GetProperty("calls").GetInt64());
        Assert.Equal(7, project.GetProperty("totals").GetProperty("calls").GetInt64());
    }

    [Fact]
    public async Task The_table_shows_unknown_as_a_dash_and_names_the_unpriced_model()
    {
        _cli.AddClaudeFixtures();

        var result = await _cli.RunAsync();

        Assert.Equal(0, result.ExitCode);
        Assert.Contains(Sonnet, result.Stdout);
        Assert.Contains("7,000", result.Stdout);
        Assert.Contains("—", result.Stdout);
        Assert.Contains($"Unpriced: {Unpriced} (1 call)", result.Stdout);
        Assert.Contains("Turn outcomes: 4 end turn · 2 tool use · 1 max tokens", result.Stdout);
        Assert.Contains($"{Session1}.jsonl:7:", result.Stderr);
        Assert.DoesNotContain("\u001b[", result.Stdout);
    }

    [Fact]
    public async Task With_no_logs_it_says_where_it_looked()
    {
        var result = await _cli.RunAsync();

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("No agent logs found", result.Stderr);
        Assert.Contains(_cli.ClaudeProjects, result.Stderr);
    }

    [Fact]
    public async Task CLAUDE_CONFIG_DIR_lists_every_directory_to_read()
    {
        var other = Path.Combine(_cli.Home, "elsewhere");
        _cli.AddClaudeFixtures();
        Directory.Move(Path.Combine(_cli.Home, ".claude"), other);
        _cli.Environment["CLAUDE_CONFIG_DIR"] = $"{Path.Combine(_cli.Home, "missing")},{other}";

        var summary = await _cli.JsonAsync();

        Assert.Equal(7, summary.GetProperty("totals").GetProperty("calls").GetInt64());
    }

    [Fact]
    public async Task Sessions_lists_each_session_newest_first_with_its_span_calls_cost_and_models()
    {
        _cli.AddClaudeFixtures();
        await _cli.JsonAsync("ingest");

        var sessions = (await _cli.JsonAsync("sessions")).GetProperty("sessions").EnumerateArray().ToList();
        var limited = (await _cli.JsonAsync("sessions", "--limit", "1")).GetProperty("sessions").EnumerateArray().ToList();

        Assert.Equal([Session2, Session1], sessions.Select(s => s.GetProperty("sessionId").GetString()));
        var first = sessions[1];
        Assert.Equal("2026-11-20T09:00:02.000Z", first.GetProperty("first").GetString());
        Assert.Equal("2026-11-20T09:05:10.000Z", first.GetProperty("last").GetString());
        Assert.Equal("/work/api", first.GetProperty("project").GetString());
        Assert.Equal(5, first.GetProperty("calls").GetInt64()); // a1, a2, a3, a4 and the subagent's s1
        Assert.Equal([Sonnet, Haiku], first.GetProperty("models").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(1, sessions[0].GetProperty("unpricedCalls").GetInt64());
        Assert.Equal(Session2, Assert.Single(limited).GetProperty("sessionId").GetString());
    }

    [Fact]
    public async Task State_reports_the_ledger_and_rebuild_reads_the_logs_again_to_the_same_totals()
    {
        _cli.AddClaudeFixtures();
        await _cli.JsonAsync("ingest");

        var state = await _cli.JsonAsync("state");
        var rebuilt = await _cli.JsonAsync("state", "rebuild");
        var summary = await _cli.JsonAsync("summary");

        Assert.Equal(Path.Combine(_cli.TallyHome, "ledger.db"), state.GetProperty("ledger").GetString());
        Assert.Equal(3, state.GetProperty("schemaVersion").GetInt32());
        Assert.Equal(7, state.GetProperty("callsBySource").GetProperty("claude-code").GetInt64());
        Assert.Equal(3, state.GetProperty("filesTracked").GetInt64());
        Assert.Equal(1, state.GetProperty("linesSkipped").GetInt64());
        Assert.Equal(7, rebuilt.GetProperty("callsBySource").GetProperty("claude-code").GetInt64());
        Assert.Equal(115, Bucket(Row(summary, Sonnet), "output"));
    }

    [Fact]
    public async Task The_Claude_hook_ingests_just_its_session_quietly_and_never_fails()
    {
        _cli.AddClaudeFixtures();
        var transcript = Path.Combine(_cli.ClaudeProjects, "-work-api", $"{Session1}.jsonl");
        var payload = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["session_id"] = Session1,
            ["transcript_path"] = transcript,
            ["cwd"] = "/work/api",
            ["hook_event_name"] = "Stop",
            ["stop_hook_active"] = false,
        });

        var hook = await _cli.RunWithInputAsync(payload, "ingest", "--hook", "claude");
        var summary = await _cli.JsonAsync("summary");
        var garbage = await _cli.RunWithInputAsync("{not json", "ingest", "--hook", "claude");
        var empty = await _cli.RunWithInputAsync("", "ingest", "--hook", "claude");

        Assert.Equal((0, ""), (hook.ExitCode, hook.Stdout));
        // The session's four calls and its subagent's one; the other session is left for a sweep.
        Assert.Equal(5, summary.GetProperty("totals").GetProperty("calls").GetInt64());
        Assert.Equal((0, ""), (garbage.ExitCode, garbage.Stdout));
        Assert.Contains("the hook could not ingest the session", garbage.Stderr);
        Assert.Equal((0, "", ""), (empty.ExitCode, empty.Stdout, empty.Stderr));
    }

    [Fact]
    public async Task Usage_errors_exit_with_2_and_one_sentence()
    {
        var badOption = await _cli.RunAsync("summary", "--by", "planet");
        var badDate = await _cli.RunAsync("summary", "--since", "yesterday-ish");
        var badZone = await _cli.RunAsync("summary", "--timezone", "Mars/Olympus");

        Assert.Equal(2, badOption.ExitCode);
        Assert.Equal(2, badDate.ExitCode);
        Assert.Contains("--since 'yesterday-ish' is not a date", badDate.Stderr);
        Assert.Equal(2, badZone.ExitCode);
        Assert.Contains("Unknown time zone 'Mars/Olympus'", badZone.Stderr);
    }

    private static string AssistantRow(string messageId, string uuid, string? stop, int output, string text) =>
        JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["parentUuid"] = "b2",
            ["isSidechain"] = false,
            ["cwd"] = "/work/api",
            ["sessionId"] = Session2,
            ["version"] = "2.1.96",
            ["message"] = new Dictionary<string, object?>
            {
                ["model"] = Sonnet,
                ["id"] = messageId,
                ["type"] = "message",
                ["role"] = "assistant",
                ["content"] = new[] { new Dictionary<string, object?> { ["type"] = "text", ["text"] = text } },
                ["stop_reason"] = stop,
                ["usage"] = new Dictionary<string, object?> { ["input_tokens"] = 0, ["cache_read_input_tokens"] = 0, ["output_tokens"] = output },
            },
            ["requestId"] = "req_" + messageId,
            ["type"] = "assistant",
            ["uuid"] = uuid,
            ["timestamp"] = "2026-11-21T23:40:00.000Z",
        });
}
