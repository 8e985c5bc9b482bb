using System.Text;
using System.Text.Json;

namespace Tally.Cli.Tests;

/// <summary>
/// <c>tally hotspots</c> and <c>tally blocks</c> through the built CLI, over a Claude Code session
/// where a 1 MB Bash output (truncated by Claude Code) cost a few hundred tokens while a 1 KB Read
/// cost thousands.
/// </summary>
/// <remarks>
/// Worked out by hand from <c>Fixtures/hotspots/truncated-bash-vs-read.jsonl.template</c>
/// (claude-sonnet-4-5: $3 input, $0.30 cache read, $3.75 5-minute cache write per million):
/// msg_H2 read the Bash output and added 300 tokens of context (2,360 − 2,010 − 50 of output), all
/// fresh input: $0.0009; msg_H3 read it again from the cache (300 × $0.30/M = $0.00009). msg_H3
/// read the Read output and added 3,965 tokens (6,365 − 2,360 − 40), split over its 5 input and
/// 4,000 cache-write tokens as 5 and 3,960: $0.000015 + $0.01485. msg_H4, after a compaction
/// (its context fell from 6,365 to 20), reads neither.
/// </remarks>
public sealed class HotspotsEndToEndTests : IDisposable
{
    private const string Session = "33333333-3333-4333-8333-333333333333";
    private static readonly string BashOutput = BigTruncatedOutput();
    private static readonly string ReadOutput = string.Concat(Enumerable.Repeat("export const rate = 0.2;\n", 40)); // 1,000 bytes

    private readonly CliRunner _cli = new();

    public HotspotsEndToEndTests()
    {
        var template = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "hotspots", "truncated-bash-vs-read.jsonl.template"));
        var transcript = template
            .Replace("@@BASH_OUTPUT@@", JsonEncoded(BashOutput), StringComparison.Ordinal)
            .Replace("@@READ_OUTPUT@@", JsonEncoded(ReadOutput), StringComparison.Ordinal);
        var project = Path.Combine(_cli.ClaudeProjects, "-work-shop");
        Directory.CreateDirectory(project);
        File.WriteAllText(Path.Combine(project, Session + ".jsonl"), transcript);
    }

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task By_cost_the_small_read_ranks_first_and_by_bytes_the_huge_truncated_bash_does()
    {
        await _cli.JsonAsync("ingest");

        var byCost = await _cli.JsonAsync("hotspots");
        var byBytes = await _cli.JsonAsync("hotspots", "--rank-by", "bytes");

        var tools = byCost.GetProperty("tools").EnumerateArray().ToList();
        Assert.Equal(["Read", "Bash"], tools.Select(t => t.GetProperty("key").GetString()));
        Assert.Equal(0.014865m, tools[0].GetProperty("cost").GetDecimal());
        Assert.Equal(5, tools[0].GetProperty("tokens").GetProperty("input").GetInt64());
        Assert.Equal(3960, tools[0].GetProperty("tokens").GetProperty("cacheWrite5m").GetInt64());
        Assert.Equal(0.00099m, tools[1].GetProperty("cost").GetDecimal());
        Assert.Equal(300, tools[1].GetProperty("tokens").GetProperty("input").GetInt64());
        Assert.Equal(300, tools[1].GetProperty("tokens").GetProperty("cacheRead").GetInt64());

        var bytesFirst = byBytes.GetProperty("tools").EnumerateArray().First();
        Assert.Equal("Bash", bytesFirst.GetProperty("key").GetString());
        Assert.Equal(Encoding.UTF8.GetByteCount(BashOutput), bytesFirst.GetProperty("outputBytes").GetInt64());
        Assert.Equal(Encoding.UTF8.GetByteCount(BashOutput), bytesFirst.GetProperty("maxOutputBytes").GetInt64());
        Assert.Equal(1, bytesFirst.GetProperty("truncatedCount").GetInt64());
        Assert.Equal("bytes", byBytes.GetProperty("rankBy").GetString());

        Assert.Equal("/work/shop/src/cart.ts", byCost.GetProperty("files").EnumerateArray().Single().GetProperty("key").GetString());
        Assert.Equal("cd /work/shop && npm test", byCost.GetProperty("commands").EnumerateArray().Single().GetProperty("key").GetString());
        Assert.Equal("npm", byCost.GetProperty("verbs").EnumerateArray().Single().GetProperty("key").GetString());
        Assert.Empty(byCost.GetProperty("subagents").EnumerateArray());
        Assert.Empty(byCost.GetProperty("mcpServers").EnumerateArray());
    }

    [Fact]
    public async Task Attributed_plus_unattributed_is_the_summary_total_exactly()
    {
        await _cli.JsonAsync("ingest");

        var hotspots = await _cli.JsonAsync("hotspots");
        var summary = await _cli.JsonAsync("summary");

        var total = summary.GetProperty("totals").GetProperty("cost").GetDecimal();
        var attributed = hotspots.GetProperty("attributed").GetProperty("cost").GetDecimal();
        var unattributed = hotspots.GetProperty("unattributed").GetProperty("cost").GetDecimal();
        Assert.Equal(0.014865m + 0.00099m, attributed);
        Assert.Equal(total, attributed + unattributed);
        Assert.Equal(
            summary.GetProperty("totals").GetProperty("billedTokens").GetInt64(),
            hotspots.GetProperty("attributed").GetProperty("billedTokens").GetInt64() + hotspots.GetProperty("unattributed").GetProperty("billedTokens").GetInt64());
    }

    [Fact]
    public async Task The_table_shows_decimal_bytes_with_a_star_for_truncated_outputs_and_group_by_gives_one_table()
    {
        await _cli.JsonAsync("ingest");

        var result = await _cli.RunAsync("hotspots", "--group-by", "tool", "--rank-by", "bytes");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("1.0 MB*", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("1.0 kB", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("Tools", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("Files", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Blocks_split_at_an_idle_spell_of_more_than_five_hours_and_show_the_gap()
    {
        await _cli.JsonAsync("ingest");

        var blocks = (await _cli.JsonAsync("blocks")).GetProperty("blocks").EnumerateArray().ToList();

        Assert.Equal(3, blocks.Count);
        Assert.Equal("2026-03-02T08:00:00.000Z", blocks[0].GetProperty("start").GetString());
        Assert.Equal("2026-03-02T13:00:00.000Z", blocks[0].GetProperty("end").GetString());
        Assert.Equal(3, blocks[0].GetProperty("calls").GetInt64());
        Assert.False(blocks[0].GetProperty("isActive").GetBoolean());
        Assert.True(blocks[1].GetProperty("isGap").GetBoolean());
        Assert.Equal("2026-03-02T13:00:20.000Z", blocks[1].GetProperty("start").GetString());
        Assert.Equal("2026-03-02T14:30:05.000Z", blocks[1].GetProperty("end").GetString());
        Assert.Equal("2026-03-02T14:00:00.000Z", blocks[2].GetProperty("start").GetString());
        Assert.Equal(1, blocks[2].GetProperty("calls").GetInt64());
        Assert.Equal(JsonValueKind.Null, blocks[2].GetProperty("burnRate").ValueKind); // one call: no span to measure
    }

    [Fact]
    public async Task The_summary_counts_billed_calls_beside_turns_and_breaks_one_session_down_by_model()
    {
        await _cli.JsonAsync("ingest");

        var summary = await _cli.JsonAsync("summary", "--session", "3333", "--by", "model");
        var byProject = await _cli.JsonAsync("summary", "--project", "shop", "--by", "model");
        var table = await _cli.RunAsync("summary", "--session", "3333");

        var row = Assert.Single(summary.GetProperty("rows").EnumerateArray());
        Assert.Equal("claude-sonnet-4-5-20250929", row.GetProperty("key").GetString());
        Assert.Equal(4, row.GetProperty("calls").GetInt64());
        Assert.Equal(2, summary.GetProperty("turns").GetInt64()); // tool use, tool use, end turn | end turn
        Assert.Equal(4, summary.GetProperty("callsWithOutcome").GetInt64());
        Assert.Equal(2, summary.GetProperty("stopReasons").GetProperty("toolUse").GetInt64());
        Assert.Equal(row.GetRawText(), Assert.Single(byProject.GetProperty("rows").EnumerateArray()).GetRawText());
        Assert.Contains("(4 billed calls in 2 turns)", table.Stdout, StringComparison.Ordinal);
    }

    // A million bytes of test output, cut by Claude Code's Bash limit and marked so.
    private static string BigTruncatedOutput()
    {
        var builder = new StringBuilder();
        const string Mark = "\n\n... [12000 lines truncated] ...";
        while (builder.Length < 1_000_000 - Mark.Length - 25)
        {
            builder.Append("PASS src/cart.test.ts ok\n");
        }

        builder.Append('x', 1_000_000 - Mark.Length - builder.Length);
        return builder.Append(Mark).ToString();
    }

    private static string JsonEncoded(string text) => JsonEncodedText.Encode(text).Value;
}
