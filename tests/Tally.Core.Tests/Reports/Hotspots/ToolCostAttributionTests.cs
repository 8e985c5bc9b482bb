using Tally.Ledger;
using Tally.Model;
using Tally.Pricing;
using Tally.Reports;
using Tally.Reports.Hotspots;

namespace Tally.Core.Tests.Reports.Hotspots;

public sealed class ToolCostAttributionTests
{
    private const string Sonnet = "claude-sonnet-4-5";
    private static readonly PriceCatalog Prices = PriceCatalog.Embedded;
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 8, 0, 0, TimeSpan.Zero);

    private static LlmCall Call(string key, int second, TokenUsage usage, string session = "s", string? agent = null,
        string model = Sonnet, decimal? reported = null, string source = SourceNames.ClaudeCode) => new()
    {
        Source = source,
        CallKey = key,
        SessionId = session,
        Timestamp = T0.AddSeconds(second),
        Model = model,
        Provider = "anthropic",
        Usage = usage,
        Agent = agent,
        ReportedCost = reported,
        StopReason = StopReason.ToolUse,
    };

    private static ToolResult Tool(string id, string requester, string? consumer, string name, string? target, long? bytes,
        bool? truncated = false, string source = SourceNames.ClaudeCode) => new()
    {
        Source = source,
        ToolUseId = id,
        SessionId = "s",
        CallKey = requester,
        ConsumerCallKey = consumer,
        Name = name,
        Target = target,
        OutputBytes = bytes,
        Truncated = bytes is null ? null : truncated,
        IsError = false,
    };

    private static TokenUsage Usage(long input, long cacheRead, long write5m, long output) => new(input, cacheRead, write5m, 0, output, null);

    private static HotspotsOptions Options(HotspotRanking rank) => new(CallFilter.All, rank, HotspotDimensions.All, Limit: null);

    [Fact]
    public void A_huge_truncated_bash_output_ranks_first_by_bytes_while_a_small_expensive_read_ranks_first_by_cost()
    {
        LlmCall[] calls =
        [
            Call("c1", 0, Usage(10, 0, 2000, 50)),
            Call("c2", 10, Usage(300, 2060, 0, 40)),    // read the Bash output: 300 tokens of new context
            Call("c3", 20, Usage(5, 2360, 4000, 100)),  // read the Read output: 3,965 tokens of new context
        ];
        ToolResult[] results =
        [
            Tool("bash", "c1", "c2", "Bash", "cd shop && npm test", 1_000_000, truncated: true),
            Tool("read", "c2", "c3", "Read", "/shop/src/cart.ts", 1_000),
        ];

        var byCost = HotspotsQuery.Build(calls, results, Prices, Options(HotspotRanking.Cost));
        var byBytes = HotspotsQuery.Build(calls, results, Prices, Options(HotspotRanking.Bytes));

        var costTools = byCost.Tables.Single(t => t.Dimension == HotspotDimension.Tool).Rows;
        var bytesTools = byBytes.Tables.Single(t => t.Dimension == HotspotDimension.Tool).Rows;
        Assert.Equal(["Read", "Bash"], costTools.Select(r => r.Key));
        Assert.Equal(["Bash", "Read"], bytesTools.Select(r => r.Key));
        var bash = bytesTools[0];
        Assert.Equal(1_000_000, bash.OutputBytes);
        Assert.Equal(1_000_000, bash.MaxOutputBytes);
        Assert.Equal(1, bash.TruncatedCount);
        Assert.Equal(new TokenUsage(300, 300, 0, 0, null, null), bash.Tokens); // read once fresh, then once from the cache
        Assert.Equal(new TokenUsage(5, null, 3960, 0, null, null), costTools[0].Tokens);
        Assert.False(byCost.Approximate);
        Assert.Equal("npm", byCost.Tables.Single(t => t.Dimension == HotspotDimension.Verb).Rows.Single().Key);
    }

    [Fact]
    public void Results_read_together_split_by_their_size_then_share_the_cache_reads_until_a_compaction()
    {
        LlmCall[] calls =
        [
            Call("c1", 0, Usage(10, 0, 1000, 50)),
            Call("c2", 10, Usage(400, 1060, 0, 20)),  // 1,460 − 1,010 − 50 = 400 new tokens for r1 and r2
            Call("c3", 20, Usage(10, 1450, 0, 10)),   // both read again whole from the cache
            Call("c4", 30, Usage(900, 200, 0, 20)),   // only 200 cache reads for the 400 claimed: shared 3:1
            Call("c5", 40, Usage(10, 1090, 0, 5)),    // whole again
            Call("c6", 50, Usage(20, 80, 0, 5)),      // context fell from 1,100 to 100: compacted, nothing carried
        ];
        ToolResult[] results =
        [
            Tool("r1", "c1", "c2", "Grep", "TODO", 300),
            Tool("r2", "c1", "c2", "Glob", "**/*.cs", 100),
        ];

        var attribution = ToolCostAttribution.Compute(calls, results, Prices, CostMode.Auto);

        Assert.Equal(new TokenUsage(300, 300 + 150 + 300, 0, 0, null, null), attribution.Shares[0].Tokens);
        Assert.Equal(new TokenUsage(100, 100 + 50 + 100, 0, 0, null, null), attribution.Shares[1].Tokens);
        Assert.Equal((300 * 3m + 750 * 0.3m) / 1_000_000m, attribution.Shares[0].Cost); // sonnet: $3 input, $0.30 cache read
        Assert.Equal(attribution.Shares.Sum(s => s.Cost), attribution.AttributedCost);
        Assert.False(attribution.Shares[0].Approximate);
    }

    [Fact]
    public void Without_sizes_an_even_split_and_without_a_recorded_reader_the_next_call_are_marked_approximate()
    {
        LlmCall[] calls =
        [
            Call("c1", 0, Usage(10, 0, 1000, 50), source: SourceNames.OpenCode),
            Call("c2", 10, Usage(401, 1060, 0, 20), source: SourceNames.OpenCode),
        ];
        ToolResult[] results =
        [
            Tool("r1", "c1", null, "read", "/a.ts", null, source: SourceNames.OpenCode),
            Tool("r2", "c1", null, "bash", "ls", 10, source: SourceNames.OpenCode),
        ];

        var attribution = ToolCostAttribution.Compute(calls, results, Prices, CostMode.Auto);

        Assert.Equal(201, attribution.Shares[0].Tokens.Input); // 401 split evenly, the odd token to the first
        Assert.Equal(200, attribution.Shares[1].Tokens.Input);
        Assert.All(attribution.Shares, s => Assert.True(s.Approximate));
    }

    [Fact]
    public void Attributed_plus_unattributed_is_every_calls_tokens_and_cost_exactly()
    {
        LlmCall[] calls =
        [
            Call("c1", 0, Usage(10, 0, 1000, 50)),
            Call("c2", 10, Usage(333, 1060, 17, 20)),
            Call("c3", 20, Usage(7, 1400, 313, 90)),
            Call("c4", 30, new TokenUsage(3, 1700, null, null, 11, null), reported: 0.0123456789m),
            Call("k1", 5, Usage(100, 0, 900, 10), agent: "helper", model: "claude-experimental-x"),
            Call("k2", 15, Usage(50, 1000, 120, 10), agent: "helper", model: "claude-experimental-x"),
        ];
        ToolResult[] results =
        [
            Tool("r1", "c1", "c2", "Bash", "git status", 12_345, truncated: true),
            Tool("r2", "c1", "c2", "Read", "/a.cs", 999),
            Tool("r3", "c2", "c3", "mcp__github__get_issue", null, null),
            Tool("r4", "c3", "c4", "Task", "code-reviewer", 77),
            Tool("r5", "k1", "k2", "Read", "/b.cs", 4_000),
            Tool("r6", "c3", "gone", "Read", "/c.cs", 5), // its reader is not among the calls
        ];

        var report = HotspotsQuery.Build(calls, results, Prices, Options(HotspotRanking.Cost));

        var expectedTokens = calls.Aggregate(TokenUsage.None, (sum, c) => sum + c.Usage);
        var expectedCost = calls.Sum(c => c.ReportedCost ?? Prices.Cost(c.Model, c.Provider, c.Usage, c.Usage.ContextTokens) ?? 0m);
        var tools = report.Tables.Single(t => t.Dimension == HotspotDimension.Tool).Rows;
        var rowTokens = tools.Aggregate(TokenUsage.None, (sum, r) => sum + r.Tokens);
        var rowCost = tools.Sum(r => r.Cost ?? 0m);
        Assert.Equal(expectedTokens.BilledTokens, rowTokens.BilledTokens + report.Unattributed.Tokens.BilledTokens);
        Assert.Equal(expectedTokens.Input, rowTokens.Input + report.Unattributed.Tokens.Input);
        Assert.Equal(expectedTokens.CacheRead, rowTokens.CacheRead + report.Unattributed.Tokens.CacheRead);
        Assert.Equal(expectedTokens.CacheWrite5m, rowTokens.CacheWrite5m + report.Unattributed.Tokens.CacheWrite5m);
        Assert.Equal(expectedCost, report.Totals.Cost);
        Assert.Equal(expectedCost, rowCost + report.Unattributed.Cost);
        Assert.Equal(report.Attributed.Cost, rowCost);
        Assert.True(rowCost > 0);
        Assert.Equal(2, report.UnpricedCalls);
        Assert.True(tools.Single(r => r.Key == "Read").HasUnpricedTokens); // r5 fell on the unpriced helper
        Assert.Equal("github", report.Tables.Single(t => t.Dimension == HotspotDimension.McpServer).Rows.Single().Key);
        Assert.Equal("code-reviewer", report.Tables.Single(t => t.Dimension == HotspotDimension.Subagent).Rows.Single().Key);
        Assert.Null(tools.Single(r => r.Key == "mcp__github__get_issue").OutputBytes); // never measured: unknown, not 0
    }

    [Fact]
    public void The_limit_keeps_the_top_rows_and_says_how_many_there_were()
    {
        LlmCall[] calls = [Call("c1", 0, Usage(10, 0, 1000, 50)), Call("c2", 10, Usage(600, 1060, 0, 20))];
        ToolResult[] results =
        [
            Tool("r1", "c1", "c2", "Read", "/a", 300),
            Tool("r2", "c1", "c2", "Read", "/b", 200),
            Tool("r3", "c1", "c2", "Read", "/c", 100),
        ];

        var report = HotspotsQuery.Build(calls, results, Prices, Options(HotspotRanking.Cost) with { Limit = 2, Dimensions = [HotspotDimension.File] });

        var files = Assert.Single(report.Tables);
        Assert.Equal(["/a", "/b"], files.Rows.Select(r => r.Key));
        Assert.Equal(3, files.TotalRows);
    }

    [Theory]
    [InlineData(10, new long[] { 1, 1, 1 }, new long[] { 4, 3, 3 })]
    [InlineData(7, new long[] { 0, 0 }, new long[] { 4, 3 })]
    [InlineData(100, new long[] { 1, 2, 7 }, new long[] { 10, 20, 70 })]
    [InlineData(5, new long[] { 3, 1 }, new long[] { 4, 1 })]
    [InlineData(0, new long[] { 3, 1 }, new long[] { 0, 0 })]
    public void Apportioning_gives_whole_parts_that_add_up_exactly(long total, long[] weights, long[] parts)
    {
        var apportioned = new long[weights.Length];
        ToolCostAttribution.Apportion(total, weights, apportioned);
        Assert.Equal(parts, apportioned);
    }
}
