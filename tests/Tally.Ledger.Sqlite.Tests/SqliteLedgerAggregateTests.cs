using Tally.Ledger.Sqlite.Tests.TestSupport;
using Tally.Model;
using static Tally.Ledger.Sqlite.Tests.TestSupport.TestRecords;

namespace Tally.Ledger.Sqlite.Tests;

public sealed class SqliteLedgerAggregateTests : IDisposable
{
    private readonly TempLedgerDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Aggregate_Sums_KeepNotReportedApartFromZero()
    {
        await using var ledger = await _directory.OpenAsync();
        await ledger.CommitCallsAsync(
            Call("msg_1", usage: new TokenUsage(0, null, null, null, 7, null)),
            Call("msg_2", usage: new TokenUsage(0, null, 5, null, 8, null)),
            Call("msg_3", usage: new TokenUsage(0, null, null, null, 9, null)));

        var row = Assert.Single(await ledger.GroupAsync());

        Assert.Equal(3, row.Calls);
        Assert.Equal(0, row.Tokens.Input);          // reported as zero: zero
        Assert.Null(row.Tokens.CacheRead);          // never reported: stays unknown
        Assert.Equal(5, row.Tokens.CacheWrite5m);   // null, 5, null: 5
        Assert.Null(row.Tokens.CacheWrite1h);
        Assert.Equal(24, row.Tokens.Output);
        Assert.Null(row.Tokens.Reasoning);
    }

    [Fact]
    public async Task Aggregate_RowsSplitByModelProviderStopReasonAndCostKind()
    {
        await using var ledger = await _directory.OpenAsync();
        await ledger.CommitCallsAsync(
            Call("msg_1", model: "a"),
            Call("msg_2", model: "a"),
            Call("msg_3", model: "b"),
            Call("msg_4", model: "a", stop: StopReason.MaxTokens),
            Call("msg_5", model: "a", cost: 0.01m),
            Call("msg_6", model: "a") with { Provider = null });

        var rows = await ledger.GroupAsync();

        Assert.Equal(5, rows.Count);
        Assert.Equal(2, rows.Single(r => r is { Model: "a", Provider: "anthropic", StopReason: StopReason.EndTurn, HasReportedCost: false }).Calls);
        Assert.Equal(1, rows.Single(r => r is { Model: "a", Provider: null }).Calls);
        Assert.Equal(1, rows.Single(r => r.StopReason == StopReason.MaxTokens).Calls);
        Assert.Equal(1, rows.Single(r => r.HasReportedCost).Calls);
        Assert.All(rows, r => Assert.Equal(SourceNames.ClaudeCode, r.Source));
    }

    [Fact]
    public async Task Aggregate_NoThresholds_EverythingIsBandZero()
    {
        await using var ledger = await _directory.OpenAsync();
        await ledger.CommitCallsAsync(Call("msg_1", usage: Context(10)), Call("msg_2", usage: Context(5_000_000)));

        var row = Assert.Single(await ledger.GroupAsync());

        Assert.Equal(0, row.Band);
        Assert.Equal(2, row.Calls);
    }

    [Fact]
    public async Task Aggregate_Thresholds_PutEachCallInTheBandItsContextFalls()
    {
        await using var ledger = await _directory.OpenAsync();
        await ledger.CommitCallsAsync(
            Call("msg_1", usage: Context(0)),
            Call("msg_2", usage: Context(128_000)),        // at a threshold: the band below
            Call("msg_3", usage: Context(128_001)),
            Call("msg_4", usage: Context(200_000)),
            Call("msg_5", usage: Context(200_001)),
            Call("msg_6", usage: Context(1_000_000)),
            // Context counts input, cache read and both cache writes, unknown ones as zero; not output.
            Call("msg_7", usage: new TokenUsage(100_000, 50_000, null, 50_001, 900_000, null)));

        var rows = await ledger.GroupAsync(thresholds: [128_000, 200_000]);

        var callsByBand = rows.GroupBy(r => r.Band).ToDictionary(g => g.Key, g => g.Sum(r => r.Calls));
        Assert.Equal(new Dictionary<int, long> { [0] = 2, [1] = 2, [2] = 3 }, callsByBand);
        Assert.Equal(200_001 + 1_000_000 + 200_001, rows.Where(r => r.Band == 2).Sum(r => r.Tokens.ContextTokens));
    }

    [Fact]
    public async Task Aggregate_ThresholdsOutOfOrder_Throws()
    {
        await using var ledger = await _directory.OpenAsync();

        await Assert.ThrowsAsync<ArgumentException>(() => ledger.GroupAsync(thresholds: [200_000, 128_000]));
    }

    [Fact]
    public async Task Aggregate_ByQuarterHour_BucketsAreUnixMillisecondsOver900000()
    {
        var hour = new DateTimeOffset(2025, 6, 1, 13, 0, 0, TimeSpan.Zero);
        await using var ledger = await _directory.OpenAsync();
        await ledger.CommitCallsAsync(
            Call("msg_1", at: hour),
            Call("msg_2", at: hour.AddMinutes(15).AddMilliseconds(-1)),
            Call("msg_3", at: hour.AddMinutes(15)),
            // The same instant written with an offset lands in the same UTC quarter-hour.
            Call("msg_4", at: hour.AddMinutes(20).ToOffset(TimeSpan.FromHours(5.5))));

        var rows = await ledger.GroupAsync(LedgerGrouping.QuarterHour);

        var first = hour.ToUnixTimeMilliseconds() / 900_000;
        Assert.Equal(new Dictionary<long, long> { [first] = 2, [first + 1] = 2 }, rows.ToDictionary(r => r.Bucket, r => r.Calls));
        Assert.All(rows, r => Assert.Null(r.Key));
    }

    [Fact]
    public async Task Aggregate_ByTextKeys_GroupsBySessionProjectOrSource()
    {
        await using var ledger = await _directory.OpenAsync();
        await ledger.CommitCallsAsync(
            Call("msg_1", session: "s1", project: "/home/me/src/tally", projectKey: "github.com/me/tally"),
            Call("msg_2", session: "s1", project: "/home/me/worktrees/tally-fix", projectKey: "github.com/me/tally"),
            Call("msg_3", session: "s2", project: "/tmp/scratch"),
            Call("msg_4", session: "s3", project: null),
            Call("c_1", session: "s4", source: SourceNames.Codex, project: null));

        Assert.Equal(
            new Dictionary<string, long> { ["s1"] = 2, ["s2"] = 1, ["s3"] = 1, ["s4"] = 1 },
            Counts(await ledger.GroupAsync(LedgerGrouping.Session)));
        Assert.Equal(
            new Dictionary<string, long> { ["github.com/me/tally"] = 2, ["/tmp/scratch"] = 1, ["(null)"] = 2 },
            Counts(await ledger.GroupAsync(LedgerGrouping.Project)));
        Assert.Equal(
            new Dictionary<string, long> { [SourceNames.ClaudeCode] = 4, [SourceNames.Codex] = 1 },
            Counts(await ledger.GroupAsync(LedgerGrouping.Source)));
        Assert.All(await ledger.GroupAsync(LedgerGrouping.Session), r => Assert.Equal(0, r.Bucket));
        Assert.All(await ledger.GroupAsync(LedgerGrouping.None), r => Assert.Null(r.Key));
    }

    [Fact]
    public async Task Aggregate_TimeFilter_SinceIsInclusiveAndUntilExclusive()
    {
        await using var ledger = await _directory.OpenAsync();
        await ledger.CommitCallsAsync(
            Call("msg_1", at: T0.AddMilliseconds(-1)),
            Call("msg_2", at: T0),
            Call("msg_3", at: T0.AddHours(1).AddMilliseconds(-1)),
            Call("msg_4", at: T0.AddHours(1)));

        Assert.Equal(2, await CountAsync(ledger, new CallFilter(Since: T0, Until: T0.AddHours(1))));
        Assert.Equal(3, await CountAsync(ledger, new CallFilter(Since: T0)));
        Assert.Equal(3, await CountAsync(ledger, new CallFilter(Until: T0.AddHours(1))));
        Assert.Equal(0, await CountAsync(ledger, new CallFilter(Since: T0, Until: T0)));
    }

    [Theory]
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
        await using var ledger = await _directory.OpenAsync();
        await ledger.CommitCallsAsync(
            Call("msg_1", project: "/home/me/src/tally"),
            Call("msg_2", project: "/home/me/src/tally", projectKey: "github.com/me/tally"),
            Call("msg_3", project: @"C:\src\tally"),
            Call("msg_4", project: "/home/me/src/mytally"),
            Call("msg_5", project: null));

        Assert.Equal(expected, await CountAsync(ledger, new CallFilter(Project: project)));
    }

    [Theory]
    [InlineData("5f1c2a", 2)]                      // prefix of two ids
    [InlineData("5f1c2a9e-0000", 1)]               // exact id
    [InlineData("5f1c2a9e-0000-extra", 0)]
    [InlineData("c2a9e", 0)]                       // not a prefix
    [InlineData("", 3)]
    public async Task Aggregate_SessionFilter_MatchesExactlyOrAsPrefix(string session, long expected)
    {
        await using var ledger = await _directory.OpenAsync();
        await ledger.CommitCallsAsync(
            Call("msg_1", session: "5f1c2a9e-0000"),
            Call("msg_2", session: "5f1c2a10-1111"),
            Call("msg_3", session: "77aa0000-2222"));

        Assert.Equal(expected, await CountAsync(ledger, new CallFilter(Session: session)));
    }

    [Fact]
    public async Task Aggregate_SourceFilter_MatchesExactly()
    {
        await using var ledger = await _directory.OpenAsync();
        await ledger.CommitCallsAsync(Call("k1"), Call("k2", source: SourceNames.Codex), Call("k3", source: SourceNames.Codex));

        Assert.Equal(2, await CountAsync(ledger, new CallFilter(Source: SourceNames.Codex)));
        Assert.Equal(0, await CountAsync(ledger, new CallFilter(Source: "code")));
    }

    [Fact]
    public async Task Aggregate_Filters_Combine()
    {
        await using var ledger = await _directory.OpenAsync();
        await ledger.CommitCallsAsync(
            Call("msg_1", session: "s1", at: T0, project: "/x/tally"),
            Call("msg_2", session: "s1", at: T0.AddDays(2), project: "/x/tally"),
            Call("msg_3", session: "s2", at: T0, project: "/x/tally"),
            Call("msg_4", session: "s1", at: T0, project: "/x/other"));

        Assert.Equal(1, await CountAsync(ledger, new CallFilter(Since: T0, Until: T0.AddDays(1), Project: "tally", Session: "s1", Source: SourceNames.ClaudeCode)));
    }

    [Fact]
    public async Task Aggregate_ReportedCost_RoundTripsAndSumsExactly()
    {
        await using var ledger = await _directory.OpenAsync();
        await ledger.CommitCallsAsync(
            Call("msg_1", cost: 0.123456789m),
            Call("msg_2", model: "b", cost: 0.1m),
            Call("msg_3", model: "b", cost: 0.2m),
            Call("msg_4", model: "b", cost: 0m),
            Call("msg_5", model: "b"));

        var rows = await ledger.GroupAsync();

        Assert.Equal(0.123456789m, rows.Single(r => r.Model == "claude-sonnet-4-5").ReportedCost);
        Assert.Equal(0.3m, rows.Single(r => r is { Model: "b", HasReportedCost: true }).ReportedCost);
        var unpriced = rows.Single(r => r is { Model: "b", HasReportedCost: false });
        Assert.Null(unpriced.ReportedCost);
        Assert.Equal(1, unpriced.Calls);
    }

    [Fact]
    public async Task Aggregate_EmptyLedger_ReturnsNoRows()
    {
        await using var ledger = await _directory.OpenAsync();

        Assert.Empty(await ledger.GroupAsync(LedgerGrouping.QuarterHour, thresholds: [1000]));
    }

    private static TokenUsage Context(long tokens) => new(tokens, null, null, null, 1, null);

    private static Dictionary<string, long> Counts(IEnumerable<UsageAggregate> rows) =>
        rows.GroupBy(r => r.Key ?? "(null)").ToDictionary(g => g.Key, g => g.Sum(r => r.Calls));

    private static async Task<long> CountAsync(SqliteLedger ledger, CallFilter filter) =>
        (await ledger.GroupAsync(filter: filter)).Sum(r => r.Calls);
}
