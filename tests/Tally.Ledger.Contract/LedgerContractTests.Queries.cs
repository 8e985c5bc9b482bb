using Tally.Model;
using static Tally.Ledger.Contract.ContractRecords;

namespace Tally.Ledger.Contract;

/// <summary>Aggregates, filters, session spans, record reads and forgetting: the queries every report stands on.</summary>
public abstract partial class LedgerContractTests
{
    [LedgerFact]
    public async Task Aggregate_Sums_KeepNotReportedApartFromZero()
    {
        await Ledger.CommitCallsAsync(
            Call("msg_1", usage: new TokenUsage(0, null, null, null, 7, null)),
            Call("msg_2", usage: new TokenUsage(0, null, 5, null, 8, null)),
            Call("msg_3", usage: new TokenUsage(0, null, null, null, 9, null)));

        var row = Assert.Single(await Ledger.GroupAsync());

        Assert.Equal(3, row.Calls);
        Assert.Equal(0, row.Tokens.Input);          // reported as zero: zero
        Assert.Null(row.Tokens.CacheRead);          // never reported: stays unknown
        Assert.Equal(5, row.Tokens.CacheWrite5m);   // null, 5, null: 5
        Assert.Null(row.Tokens.CacheWrite1h);
        Assert.Equal(24, row.Tokens.Output);
        Assert.Null(row.Tokens.Reasoning);
    }

    [LedgerFact]
    public async Task Aggregate_TokenCounts_AreSixtyFourBit()
    {
        const long big = 3_000_000_000L;   // beyond 32 bits, and summed beyond again
        await Ledger.CommitCallsAsync(
            Call("msg_1", usage: new TokenUsage(big, big, null, null, big, null)),
            Call("msg_2", usage: new TokenUsage(big, big, null, null, big, null)));

        var row = Assert.Single(await Ledger.GroupAsync(thresholds: [5_000_000_000L]));

        Assert.Equal(2 * big, row.Tokens.Input);
        Assert.Equal(2 * big, row.Tokens.Output);
        Assert.Equal(1, row.Band);
    }

    [LedgerFact]
    public async Task Aggregate_RowsSplitByModelProviderStopReasonAndCostKind()
    {
        await Ledger.CommitCallsAsync(
            Call("msg_1", model: "a"),
            Call("msg_2", model: "a"),
            Call("msg_3", model: "b"),
            Call("msg_4", model: "a", stop: StopReason.MaxTokens),
            Call("msg_5", model: "a", cost: 0.01m),
            Call("msg_6", model: "a") with { Provider = null });

        var rows = await Ledger.GroupAsync();

        Assert.Equal(5, rows.Count);
        Assert.Equal(2, rows.Single(r => r is { Model: "a", Provider: "anthropic", StopReason: StopReason.EndTurn, HasReportedCost: false }).Calls);
        Assert.Equal(1, rows.Single(r => r is { Model: "a", Provider: null }).Calls);
        Assert.Equal(1, rows.Single(r => r.StopReason == StopReason.MaxTokens).Calls);
        Assert.Equal(1, rows.Single(r => r.HasReportedCost).Calls);
        Assert.All(rows, r => Assert.Equal(SourceNames.ClaudeCode, r.Source));
    }

    [LedgerFact]
    public async Task Aggregate_NoThresholds_EverythingIsBandZero()
    {
        await Ledger.CommitCallsAsync(Call("msg_1", usage: Context(10)), Call("msg_2", usage: Context(5_000_000)));

        var row = Assert.Single(await Ledger.GroupAsync());

        Assert.Equal(0, row.Band);
        Assert.Equal(2, row.Calls);
    }

    [LedgerFact]
    public async Task Aggregate_Thresholds_PutEachCallInTheBandItsContextFalls()
    {
        await Ledger.CommitCallsAsync(
            Call("msg_1", usage: Context(0)),
            Call("msg_2", usage: Context(128_000)),        // at a threshold: the band below
            Call("msg_3", usage: Context(128_001)),
            Call("msg_4", usage: Context(200_000)),
            Call("msg_5", usage: Context(200_001)),
            Call("msg_6", usage: Context(1_000_000)),
            // Context counts input, cache read and both cache writes, unknown ones as zero; not output.
            Call("msg_7", usage: new TokenUsage(100_000, 50_000, null, 50_001, 900_000, null)));

        var rows = await Ledger.GroupAsync(thresholds: [128_000, 200_000]);

        var callsByBand = rows.GroupBy(r => r.Band).ToDictionary(g => g.Key, g => g.Sum(r => r.Calls));
        Assert.Equal(new Dictionary<int, long> { [0] = 2, [1] = 2, [2] = 3 }, callsByBand);
        Assert.Equal(200_001 + 1_000_000 + 200_001, rows.Where(r => r.Band == 2).Sum(r => r.Tokens.ContextTokens));
    }

    [LedgerFact]
    public async Task Aggregate_ThresholdsOutOfOrder_Throws()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Ledger.GroupAsync(thresholds: [200_000, 128_000]));
    }

    [LedgerFact]
    public async Task Aggregate_ByQuarterHour_BucketsAreUnixMillisecondsOver900000()
    {
        var hour = new DateTimeOffset(2025, 6, 1, 13, 0, 0, TimeSpan.Zero);
        await Ledger.CommitCallsAsync(
            Call("msg_1", at: hour),
            Call("msg_2", at: hour.AddMinutes(15).AddMilliseconds(-1)),
            Call("msg_3", at: hour.AddMinutes(15)),
            // The same instant written with an offset lands in the same UTC quarter-hour.
            Call("msg_4", at: hour.AddMinutes(20).ToOffset(TimeSpan.FromHours(5.5))),
            // Before 1970 the quarter-hour still floors.
            Call("msg_5", at: DateTimeOffset.FromUnixTimeMilliseconds(-1)));

        var rows = await Ledger.GroupAsync(LedgerGrouping.QuarterHour);

        var first = hour.ToUnixTimeMilliseconds() / 900_000;
        Assert.Equal(new Dictionary<long, long> { [first] = 2, [first + 1] = 2, [-1] = 1 }, rows.ToDictionary(r => r.Bucket, r => r.Calls));
        Assert.All(rows, r => Assert.Null(r.Key));
    }

    [LedgerFact]
    public async Task Aggregate_ByTextKeys_GroupsBySessionProjectSourceUserOrHost()
    {
        await Ledger.CommitCallsAsync(
            Call("msg_1", session: "s1", project: "/home/me/src/tally", projectKey: "github.com/me/tally", user: "ann", host: "laptop"),
            Call("msg_2", session: "s1", project: "/home/me/worktrees/tally-fix", projectKey: "github.com/me/tally", user: "ann", host: "ci-1"),
            Call("msg_3", session: "s2", project: "/tmp/scratch", user: "bob", host: "ci-1"),
            Call("msg_4", session: "s3", project: null, user: "bob", host: "ci-2"),
            Call("c_1", session: "s4", source: SourceNames.Codex, project: null, user: null, host: null));

        Assert.Equal(
            new Dictionary<string, long> { ["s1"] = 2, ["s2"] = 1, ["s3"] = 1, ["s4"] = 1 },
            Counts(await Ledger.GroupAsync(LedgerGrouping.Session)));
        Assert.Equal(
            new Dictionary<string, long> { ["github.com/me/tally"] = 2, ["/tmp/scratch"] = 1, ["(null)"] = 2 },
            Counts(await Ledger.GroupAsync(LedgerGrouping.Project)));
        Assert.Equal(
            new Dictionary<string, long> { [SourceNames.ClaudeCode] = 4, [SourceNames.Codex] = 1 },
            Counts(await Ledger.GroupAsync(LedgerGrouping.Source)));
        var byUser = Counts(await Ledger.GroupAsync(LedgerGrouping.User));
        Assert.Equal(2, byUser["ann"]);
        Assert.Equal(2, byUser["bob"]);
        var byHost = Counts(await Ledger.GroupAsync(LedgerGrouping.Host));
        Assert.Equal((1L, 2L, 1L), (byHost["laptop"], byHost["ci-1"], byHost["ci-2"]));
        Assert.Equal(5, byHost.Values.Sum());
        Assert.All(await Ledger.GroupAsync(LedgerGrouping.Session), r => Assert.Equal(0, r.Bucket));
        Assert.All(await Ledger.GroupAsync(LedgerGrouping.None), r => Assert.Null(r.Key));
    }

    [LedgerFact]
    public async Task Aggregate_UserAndHostFilters_MatchExactly()
    {
        await Ledger.CommitCallsAsync(
            Call("k1", user: "ann", host: "laptop"),
            Call("k2", user: "ann", host: "ci-1"),
            Call("k3", user: "bob", host: "ci-1"),
            Call("k4", user: "annie", host: "ci"));

        Assert.Equal(2, await CountAsync(new CallFilter(User: "ann")));
        Assert.Equal(2, await CountAsync(new CallFilter(Host: "ci-1")));
        Assert.Equal(1, await CountAsync(new CallFilter(User: "ann", Host: "ci-1")));
        Assert.Equal(0, await CountAsync(new CallFilter(User: "an")));
    }

    [LedgerFact]
    public async Task Aggregate_TimeFilter_SinceIsInclusiveAndUntilExclusive()
    {
        await Ledger.CommitCallsAsync(
            Call("msg_1", at: T0.AddMilliseconds(-1)),
            Call("msg_2", at: T0),
            Call("msg_3", at: T0.AddHours(1).AddMilliseconds(-1)),
            Call("msg_4", at: T0.AddHours(1)));

        Assert.Equal(2, await CountAsync(new CallFilter(Since: T0, Until: T0.AddHours(1))));
        Assert.Equal(3, await CountAsync(new CallFilter(Since: T0)));
        Assert.Equal(3, await CountAsync(new CallFilter(Until: T0.AddHours(1))));
        Assert.Equal(0, await CountAsync(new CallFilter(Since: T0, Until: T0)));
    }

    [LedgerTheory]
    [InlineData("/home/me/src/tally", 2)]          // exact path
    [InlineData("github.com/me/tally", 1)]         // exact key
    [InlineData("tally", 3)]                       // last path segment, and of the key
    [InlineData("src/tally", 2)]                   // path suffix
    [InlineData("me/tally", 1)]                    // key suffix
    [InlineData("ally", 0)]                        // not a segment
    [InlineData("Tally", 0)]                       // case matters, as in paths
    [InlineData("/home/me", 0)]                    // not a prefix match
    public async Task Aggregate_ProjectFilter_MatchesPathOrKeyExactlyOrAsPathSuffix(string project, long expected)
    {
        await Ledger.CommitCallsAsync(
            Call("msg_1", project: "/home/me/src/tally"),
            Call("msg_2", project: "/home/me/src/tally", projectKey: "github.com/me/tally"),
            Call("msg_3", project: @"C:\src\tally"),
            Call("msg_4", project: "/home/me/src/mytally"),
            Call("msg_5", project: null));

        Assert.Equal(expected, await CountAsync(new CallFilter(Project: project)));
    }

    [LedgerTheory]
    [InlineData("5f1c2a", 2)]                      // prefix of two ids
    [InlineData("5f1c2a9e-0000", 1)]               // exact id
    [InlineData("5f1c2a9e-0000-extra", 0)]
    [InlineData("c2a9e", 0)]                       // not a prefix
    [InlineData("", 3)]
    public async Task Aggregate_SessionFilter_MatchesExactlyOrAsPrefix(string session, long expected)
    {
        await Ledger.CommitCallsAsync(
            Call("msg_1", session: "5f1c2a9e-0000"),
            Call("msg_2", session: "5f1c2a10-1111"),
            Call("msg_3", session: "77aa0000-2222"));

        Assert.Equal(expected, await CountAsync(new CallFilter(Session: session)));
    }

    [LedgerFact]
    public async Task Aggregate_SourceFilter_MatchesExactly()
    {
        await Ledger.CommitCallsAsync(Call("k1"), Call("k2", source: SourceNames.Codex), Call("k3", source: SourceNames.Codex));

        Assert.Equal(2, await CountAsync(new CallFilter(Source: SourceNames.Codex)));
        Assert.Equal(0, await CountAsync(new CallFilter(Source: "code")));
    }

    [LedgerFact]
    public async Task Aggregate_Filters_Combine()
    {
        await Ledger.CommitCallsAsync(
            Call("msg_1", session: "s1", at: T0, project: "/x/tally"),
            Call("msg_2", session: "s1", at: T0.AddDays(2), project: "/x/tally"),
            Call("msg_3", session: "s2", at: T0, project: "/x/tally"),
            Call("msg_4", session: "s1", at: T0, project: "/x/other"));

        Assert.Equal(1, await CountAsync(new CallFilter(Since: T0, Until: T0.AddDays(1), Project: "tally", Session: "s1", Source: SourceNames.ClaudeCode)));
    }

    [LedgerFact]
    public async Task Aggregate_ReportedCost_RoundTripsAndSumsExactly()
    {
        await Ledger.CommitCallsAsync(
            Call("msg_1", cost: 0.123456789m),
            Call("msg_2", model: "b", cost: 0.1m),
            Call("msg_3", model: "b", cost: 0.2m),
            Call("msg_4", model: "b", cost: 0m),
            Call("msg_5", model: "b"),
            // Beyond nine places, amounts round to the nano-dollar (halves away from zero).
            Call("msg_6", model: "c", cost: 0.0000000015m),
            Call("msg_7", model: "c", cost: 0.0000000004m));

        var rows = await Ledger.GroupAsync();

        Assert.Equal(0.123456789m, rows.Single(r => r.Model == "claude-sonnet-4-5").ReportedCost);
        Assert.Equal("0.3", rows.Single(r => r is { Model: "b", HasReportedCost: true }).ReportedCost!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(0.000000002m, rows.Single(r => r.Model == "c").ReportedCost);
        var unpriced = rows.Single(r => r is { Model: "b", HasReportedCost: false });
        Assert.Null(unpriced.ReportedCost);
        Assert.Equal(1, unpriced.Calls);
    }

    [LedgerFact]
    public async Task Aggregate_EmptyLedger_ReturnsNoRows()
    {
        Assert.Empty(await Ledger.GroupAsync(LedgerGrouping.QuarterHour, thresholds: [1000]));
    }

    // ---- session spans ---------------------------------------------------------------------

    [LedgerFact]
    public async Task SessionSpans_GiveFirstAndLastCallAndTheProjectPerSourceAndSession()
    {
        await Ledger.CommitCallsAsync(
            Call("a1", "s1", T0.AddMinutes(5), projectKey: "github.com/me/tally"),
            Call("a2", "s1", T0),
            Call("a3", "s1", T0.AddMinutes(9)),
            Call("b1", "s2", T0.AddHours(1), project: null),
            Call("c1", "s1", T0.AddDays(1), source: SourceNames.Codex),
            Call("d1", "child", T0.AddDays(2)) with { ParentSessionId = "s1" });

        var spans = (await Ledger.GetSessionSpansAsync(CallFilter.All)).OrderBy(s => s.Source).ThenBy(s => s.SessionId).ToList();
        var since = await Ledger.GetSessionSpansAsync(new CallFilter(Since: T0.AddMinutes(6)));

        Assert.Equal(4, spans.Count);
        Assert.Equal(new SessionSpan(SourceNames.ClaudeCode, "child", "/home/me/src/tally", T0.AddDays(2), T0.AddDays(2), "s1"), spans[0]);
        Assert.Equal(new SessionSpan(SourceNames.ClaudeCode, "s1", "github.com/me/tally", T0, T0.AddMinutes(9)), spans[1]);
        Assert.Equal(new SessionSpan(SourceNames.ClaudeCode, "s2", null, T0.AddHours(1), T0.AddHours(1)), spans[2]);
        Assert.Equal(new SessionSpan(SourceNames.Codex, "s1", "/home/me/src/tally", T0.AddDays(1), T0.AddDays(1)), spans[3]);
        Assert.Equal(T0.AddMinutes(9), since.Single(s => s.Source == SourceNames.ClaudeCode && s.SessionId == "s1").First);
    }

    // ---- record reads ----------------------------------------------------------------------

    [LedgerFact]
    public async Task ReadCalls_GiveEachCallAsStored_WithUnknownBucketsStillNull()
    {
        var stored = new LlmCall
        {
            Source = SourceNames.Sdk, CallKey = "req_9", KeyKind = KeyKind.RequestId, SessionId = "s", Timestamp = T0.AddTicks(1234),
            Model = "gpt-5", Provider = "openai", Usage = new TokenUsage(1, null, 3, null, 5, 6), StopReason = StopReason.Other,
            StopReasonRaw = "weird", Project = "/p", ProjectKey = "github.com/me/p", RequestId = "req_9", Agent = "reviewer",
            ParentSessionId = "parent", IsSidechain = true, DurationMs = 1234, ReportedCost = 0.000123456m, User = "me", Host = "box",
            ErrorType = "System.TimeoutException", RunTurns = 7, Tags = new Dictionary<string, string> { ["team"] = "search", ["env"] = "prod" },
        };
        await Ledger.CommitCallsAsync(stored, Call("other", session: "elsewhere"));

        var read = Assert.Single(await ToListAsync(Ledger.ReadCallsAsync(new CallFilter(Session: "s", Source: SourceNames.Sdk))));
        var other = Assert.Single(await ToListAsync(Ledger.ReadCallsAsync(new CallFilter(Session: "elsewhere"))));

        // Times are kept to the millisecond; tags compare by content.
        Assert.Equal(stored with { Timestamp = T0, Tags = null }, read with { Tags = null });
        Assert.Equal(stored.Tags!.OrderBy(t => t.Key), read.Tags!.OrderBy(t => t.Key));
        Assert.Equal((null, null, null), (other.ErrorType, other.RunTurns, other.Tags));
        Assert.Equal(2, (await ToListAsync(Ledger.ReadCallsAsync(CallFilter.All))).Count);
    }

    [LedgerFact]
    public async Task ReadToolResults_AreSelectedByTheCallThatRequestedThem()
    {
        var batch = Batch(
            Call("m1", "s1", T0, project: "/home/me/src/api"),
            Call("m2", "s1", T0.AddMinutes(1), project: "/home/me/src/api"),
            Call("m3", "s2", T0.AddDays(1), project: "/home/me/src/web"));
        var t1 = Tool("t1", "m1", "s1") with { Name = "Bash", Target = "git status", Timestamp = T0, OutputBytes = 1200, Truncated = true, IsError = false, ConsumerCallKey = "m2" };
        batch.ToolResults.Add(t1);
        batch.ToolResults.Add(Tool("t2", "m3", "s2"));
        batch.ToolResults.Add(Tool("t3", "never-stored", "s1") with { OutputBytes = 5 });
        await Ledger.CommitAsync(batch);

        var all = await ToListAsync(Ledger.ReadToolResultsAsync(CallFilter.All));
        var api = await ToListAsync(Ledger.ReadToolResultsAsync(new CallFilter(Project: "api")));
        var late = await ToListAsync(Ledger.ReadToolResultsAsync(new CallFilter(Since: T0.AddHours(1))));

        Assert.Equal(["t1", "t2"], all.Select(t => t.ToolUseId).Order(StringComparer.Ordinal));
        Assert.Equal(t1, Assert.Single(api));
        Assert.Equal("t2", Assert.Single(late).ToolUseId);
        Assert.Null(Assert.Single(late).OutputBytes);
    }

    [LedgerFact]
    public async Task Record_reads_run_side_by_side_and_beside_a_commit_and_see_whole_batches()
    {
        IngestBatch Numbered(int from)
        {
            var batch = Batch([.. Enumerable.Range(from, 100).Select(i => Call("m" + i, at: T0.AddMinutes(i)))]);
            batch.ToolResults.AddRange(Enumerable.Range(from, 100).Select(i => Tool("t" + i, "m" + i)));
            return batch;
        }

        await Ledger.CommitAsync(Numbered(0));

        // Reports read calls and tool results at once (hotspots), while an ingest may commit.
        var reads = Enumerable.Range(0, 3).SelectMany(_ => new[]
        {
            Task.Run(async () => (await ToListAsync(Ledger.ReadCallsAsync(CallFilter.All))).Count),
            Task.Run(async () => (await ToListAsync(Ledger.ReadToolResultsAsync(CallFilter.All))).Count),
        }).ToList();
        var commit = Task.Run(() => Ledger.CommitAsync(Numbered(100)));
        await commit;

        Assert.All(await Task.WhenAll(reads), count => Assert.Contains(count, new[] { 100, 200 }));
        Assert.Equal(200, (await ToListAsync(Ledger.ReadCallsAsync(CallFilter.All))).Count);
        Assert.Equal(200, (await ToListAsync(Ledger.ReadToolResultsAsync(CallFilter.All))).Count);
    }

    // ---- forgetting ------------------------------------------------------------------------

    [LedgerFact]
    public async Task Forgetting_sources_deletes_their_calls_tool_results_and_cursors_and_keeps_the_rest()
    {
        var batch = Batch(Call("a1"), Call("e1", source: SourceNames.Events), Call("x1", source: SourceNames.Codex));
        batch.ToolResults.Add(Tool("toolu_1", "a1"));
        batch.Cursors.Add(Cursor("/logs/a.jsonl", 100));
        batch.Cursors.Add(Cursor("/events/e.jsonl", 50, SourceNames.Events));
        await Ledger.CommitAsync(batch);

        await Ledger.ForgetSourcesAsync([SourceNames.ClaudeCode, SourceNames.Codex]);

        var state = await Ledger.GetStatisticsAsync();
        Assert.Equal(new Dictionary<string, long> { [SourceNames.Events] = 1 }, state.CallsBySource);
        Assert.Equal(0, state.ToolResults);
        Assert.Empty(await Ledger.GetCursorsAsync(SourceNames.ClaudeCode));
        Assert.Single(await Ledger.GetCursorsAsync(SourceNames.Events));
    }

    private static TokenUsage Context(long tokens) => new(tokens, null, null, null, 1, null);

    private static Dictionary<string, long> Counts(IEnumerable<UsageAggregate> rows) =>
        rows.GroupBy(r => r.Key ?? "(null)").ToDictionary(g => g.Key, g => g.Sum(r => r.Calls));

    private async Task<long> CountAsync(CallFilter filter) => (await Ledger.GroupAsync(filter: filter)).Sum(r => r.Calls);
}
