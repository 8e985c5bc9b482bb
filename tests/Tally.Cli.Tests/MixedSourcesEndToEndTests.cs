using System.Text.Json;

namespace Tally.Cli.Tests;

/// <summary>
/// Claude Code, Codex, OpenCode and Gemini CLI logs in one HOME, through the built CLI: each source's calls
/// land once in the same ledger, with exact totals per source and model.
/// </summary>
/// <remarks>
/// Codex expectations come from <c>Tally.Sources.Tests/Fixtures/codex</c>: a parent session with
/// two calls, and the same fork written twice (its copied history re-stamped, and kept as it was):
/// three calls in all, however many files replay them. Gemini's come from
/// <c>Fixtures/gemini/legacy-session.json</c>: two responses, the first with 1,200 prompt tokens of
/// which 1,000 cached (plus 20 tool-use prompt tokens), 50 candidates and 30 thoughts.
/// OpenCode expectations come from <c>Tally.Sources.Tests/Fixtures/opencode/tree</c>: msg_a1
/// (sonnet, stated cost), msg_k1 (haiku in a child session, stated cost), msg_a2 (gpt-5, a stated
/// cost of 0 that is not a price, so priced from the catalog); msg_a3 has no tokens, msg_a4 is an
/// all-zero placeholder, msg_u1 is the user's, and msg_bad is not JSON.
/// </remarks>
public sealed class MixedSourcesEndToEndTests : IDisposable
{
    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    private static JsonElement Row(JsonElement summary, string key) =>
        summary.GetProperty("rows").EnumerateArray().Single(r => r.GetProperty("key").GetString() == key);

    [Fact]
    public async Task Every_source_is_counted_once_with_exact_totals()
    {
        _cli.AddClaudeFixtures();
        _cli.AddOpenCodeFixtures();
        _cli.AddCodexFixtures("fork-parent.jsonl", "fork-child-restamped.jsonl", "fork-child-preserved.jsonl");
        _cli.AddGeminiFixture("legacy-session.json");

        var bySource = await _cli.JsonAsync("--by", "source");
        var openCode = await _cli.JsonAsync("summary", "--source", "opencode");
        var again = await _cli.JsonAsync("ingest");

        Assert.Equal(7, Row(bySource, "claude-code").GetProperty("calls").GetInt64());
        Assert.Equal(3, Row(bySource, "opencode").GetProperty("calls").GetInt64());
        Assert.Equal(0, again.GetProperty("callsAdded").GetInt64());

        var codex = Row(bySource, "codex");
        Assert.Equal(3, codex.GetProperty("calls").GetInt64());
        Assert.Equal(2000 + 700 + 1500, codex.GetProperty("tokens").GetProperty("input").GetInt64());
        Assert.Equal(1000 + 2800 + 2500, codex.GetProperty("tokens").GetProperty("cacheRead").GetInt64());
        Assert.Equal(200 + 250 + 150, codex.GetProperty("tokens").GetProperty("output").GetInt64());
        Assert.Equal(50 + 40 + 30, codex.GetProperty("tokens").GetProperty("reasoning").GetInt64());
        // gpt-5-codex at gpt-5's $1.25 input, $0.125 cached input, $10 output per million.
        Assert.Equal(0.0120375m, codex.GetProperty("cost").GetDecimal());

        var gemini = Row(bySource, "gemini");
        Assert.Equal(2, gemini.GetProperty("calls").GetInt64());
        Assert.Equal(220 + 1500, gemini.GetProperty("tokens").GetProperty("input").GetInt64());
        Assert.Equal(1000 + 0, gemini.GetProperty("tokens").GetProperty("cacheRead").GetInt64());
        Assert.Equal(80 + 10, gemini.GetProperty("tokens").GetProperty("output").GetInt64());
        Assert.Equal(30, gemini.GetProperty("tokens").GetProperty("reasoning").GetInt64());

        var sonnet = Row(openCode, "claude-sonnet-4-5").GetProperty("tokens");
        Assert.Equal(12, sonnet.GetProperty("input").GetInt64());
        Assert.Equal(400, sonnet.GetProperty("output").GetInt64()); // 340 output + 60 reasoning, billed as output
        Assert.Equal(60, sonnet.GetProperty("reasoning").GetInt64());
        Assert.Equal(9000, sonnet.GetProperty("cacheRead").GetInt64());
        Assert.Equal(1500, sonnet.GetProperty("cacheWrite5m").GetInt64());
        // The stated 0.012345678901234568 is kept to the nano-dollar, as the ledger stores money.
        Assert.Equal(0.012345679m, Row(openCode, "claude-sonnet-4-5").GetProperty("cost").GetDecimal());
        Assert.Equal(0.0025m, Row(openCode, "claude-haiku-4-5").GetProperty("cost").GetDecimal());
        // A stated $0 with tokens is no price: 100 input at $1.25 and 20 output at $10 per million.
        Assert.Equal(0.000325m, Row(openCode, "gpt-5").GetProperty("cost").GetDecimal());
        Assert.Equal(JsonValueKind.Null, Row(openCode, "gpt-5").GetProperty("tokens").GetProperty("reasoning").ValueKind);

        var openCodeSessions = (await _cli.JsonAsync("sessions", "--source", "opencode")).GetProperty("sessions").EnumerateArray().ToList();
        Assert.Equal("ses_main", openCodeSessions.Single(x => x.GetProperty("sessionId").GetString() == "ses_kid").GetProperty("parentSessionId").GetString());
        Assert.Equal(JsonValueKind.Null, openCodeSessions.Single(x => x.GetProperty("sessionId").GetString() == "ses_main").GetProperty("parentSessionId").ValueKind);

        var skipped = bySource.GetProperty("ingest").GetProperty("skipped").EnumerateArray()
            .Select(s => Path.GetFileName(s.GetProperty("path").GetString())).Order().ToList();
        Assert.Equal(["11111111-1111-4111-8111-111111111111.jsonl", "msg_bad.json"], skipped);
    }
}
