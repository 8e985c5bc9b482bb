using System.Data.Common;
using Tally.Model;
using static Tally.Ledger.Contract.ContractRecords;

namespace Tally.Ledger.Contract;

/// <summary>
/// What every ledger must do, whatever stores it: each backend's test project derives one class
/// that opens a fresh, empty ledger for each test, and every fact here runs against it. The same
/// records must give the same answers from every backend.
/// </summary>
public abstract partial class LedgerContractTests : IAsyncLifetime
{
    private readonly List<ILedger> _opened = [];

    /// <summary>The ledger of the current test, empty at its start.</summary>
    protected ILedger Ledger { get; private set; } = null!;

    /// <summary>Creates a fresh, empty ledger (a new file, a new database) for one test.</summary>
    protected abstract Task<ILedger> CreateEmptyLedgerAsync();

    /// <summary>Opens another instance on the store <see cref="CreateEmptyLedgerAsync"/> made last (another process, another machine).</summary>
    protected abstract Task<ILedger> OpenSameLedgerAsync();

    /// <summary>The schema version a new ledger of this backend has.</summary>
    protected abstract int LatestSchemaVersion { get; }

    public async Task InitializeAsync() => Ledger = await CreateEmptyLedgerAsync();

    public async Task DisposeAsync()
    {
        foreach (var ledger in _opened)
        {
            await ledger.DisposeAsync();
        }

        await Ledger.DisposeAsync();
    }

    /// <summary>Another instance on the same store, closed at the end of the test.</summary>
    protected async Task<ILedger> OpenAnotherAsync()
    {
        var ledger = await OpenSameLedgerAsync();
        _opened.Add(ledger);
        return ledger;
    }

    // ---- commits: identity, upsert rules, atomic batches ------------------------------------

    [LedgerTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Commit_SameCallTwice_MoreCompleteObservationWinsInEitherOrder(bool completeFirst)
    {
        // A streaming snapshot (no stop reason yet, little output) and the finished response.
        var partial = Call("msg_1", usage: new TokenUsage(10, 100, 50, null, 3, null), stop: StopReason.Unknown, model: "partial-model");
        var complete = Call("msg_1", usage: new TokenUsage(10, 100, 50, null, 400, 120), stop: StopReason.ToolUse);

        await Ledger.CommitCallsAsync(completeFirst ? complete : partial);
        await Ledger.CommitCallsAsync(completeFirst ? partial : complete);

        var row = Assert.Single(await Ledger.GroupAsync());
        Assert.Equal(1, row.Calls);
        Assert.Equal(new TokenUsage(10, 100, 50, null, 400, 120), row.Tokens);
        Assert.Equal(StopReason.ToolUse, row.StopReason);
        Assert.Equal("claude-sonnet-4-5", row.Model);
    }

    [LedgerTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Commit_PartialAndCompleteInOneBatch_MoreCompleteWinsInEitherOrder(bool completeFirst)
    {
        var partial = Call("msg_1", usage: new TokenUsage(1, 1, 1, null, 2, null), stop: StopReason.Unknown);
        var complete = Call("msg_1", usage: new TokenUsage(1, 1, 1, null, 900, null), stop: StopReason.EndTurn);

        await Ledger.CommitCallsAsync(completeFirst ? [complete, partial] : [partial, complete]);

        var row = Assert.Single(await Ledger.GroupAsync());
        Assert.Equal(1, row.Calls);
        Assert.Equal(900, row.Tokens.Output);
    }

    [LedgerFact]
    public async Task Commit_SameObservationRepeated_IsNeverSummed()
    {
        var call = Call("msg_1", usage: new TokenUsage(1, 2, 3, 4, 5, 6));

        // Within one batch (one row per content block) and across batches (a file read twice).
        await Ledger.CommitCallsAsync(call, call, call);
        await Ledger.CommitCallsAsync(call);

        var row = Assert.Single(await Ledger.GroupAsync());
        Assert.Equal(1, row.Calls);
        Assert.Equal(new TokenUsage(1, 2, 3, 4, 5, 6), row.Tokens);
    }

    [LedgerFact]
    public async Task Commit_LessCompleteObservationWithNulls_DoesNotEraseKnownCounts()
    {
        await Ledger.CommitCallsAsync(Call("msg_1", usage: new TokenUsage(10, 0, 0, 0, 400, null)));

        await Ledger.CommitCallsAsync(Call("msg_1", usage: TokenUsage.None, stop: StopReason.Unknown));

        Assert.Equal(new TokenUsage(10, 0, 0, 0, 400, null), Assert.Single(await Ledger.GroupAsync()).Tokens);
    }

    [LedgerTheory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public async Task Commit_ReplayFromAnotherSession_KeepsTheEarliestSession(bool replayFirst, bool oneBatch)
    {
        // A resumed session replays the call later, in another session and another directory.
        var original = Call("msg_1", session: "original", at: T0, project: "/home/me/src/tally", user: "ann", host: "laptop");
        var replay = Call("msg_1", session: "resumed", at: T0.AddHours(1), project: "/tmp/elsewhere", user: "bob", host: "ci");

        var (first, second) = replayFirst ? (replay, original) : (original, replay);
        if (oneBatch)
        {
            await Ledger.CommitCallsAsync(first, second);
        }
        else
        {
            await Ledger.CommitCallsAsync(first);
            await Ledger.CommitCallsAsync(second);
        }

        var bySession = Assert.Single(await Ledger.GroupAsync(LedgerGrouping.Session));
        Assert.Equal("original", bySession.Key);
        Assert.Equal(1, bySession.Calls);
        Assert.Equal("/home/me/src/tally", Assert.Single(await Ledger.GroupAsync(LedgerGrouping.Project)).Key);
        Assert.Equal("ann", Assert.Single(await Ledger.GroupAsync(LedgerGrouping.User)).Key);
        Assert.Equal("laptop", Assert.Single(await Ledger.GroupAsync(LedgerGrouping.Host)).Key);
        var quarter = Assert.Single(await Ledger.GroupAsync(LedgerGrouping.QuarterHour));
        Assert.Equal(T0.ToUnixTimeMilliseconds() / 900_000, quarter.Bucket);
    }

    [LedgerFact]
    public async Task Commit_ReplayAtTheSameTime_KeepsTheSmallerSessionThenTheStoredOne()
    {
        await Ledger.CommitCallsAsync(Call("msg_1", session: "first-stored"));
        await Ledger.CommitCallsAsync(Call("msg_1", session: "second-stored"));
        await Ledger.CommitCallsAsync(Call("msg_2", session: "b-stored"));
        await Ledger.CommitCallsAsync(Call("msg_2", session: "a-later"));

        var sessions = (await Ledger.GroupAsync(LedgerGrouping.Session)).Select(r => r.Key).Order(StringComparer.Ordinal);

        Assert.Equal(["a-later", "first-stored"], sessions);
    }

    [LedgerFact]
    public async Task Commit_EarlierButLessCompleteSighting_TakesSessionButNotUsage()
    {
        await Ledger.CommitCallsAsync(Call("msg_1", session: "later", at: T0.AddMinutes(5), usage: new TokenUsage(1, 1, 1, 1, 900, null)));

        await Ledger.CommitCallsAsync(Call("msg_1", session: "earlier", at: T0, usage: new TokenUsage(1, 1, 1, 1, 2, null), stop: StopReason.Unknown));

        var row = Assert.Single(await Ledger.GroupAsync(LedgerGrouping.Session));
        Assert.Equal("earlier", row.Key);
        Assert.Equal(900, row.Tokens.Output);
        Assert.Equal(StopReason.EndTurn, row.StopReason);
    }

    [LedgerTheory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public async Task Commit_ToolRequestAndResultHalves_MergeIntoOneRow(bool resultFirst, bool oneBatch)
    {
        var request = Tool("toolu_1") with { CallKey = "msg_1", Name = "Bash", Target = "dotnet test", Timestamp = T0 };
        var result = Tool("toolu_1", call: null) with
        {
            Timestamp = T0.AddSeconds(30), OutputBytes = 5120, Truncated = false, IsError = true, ConsumerCallKey = "msg_2",
        };
        await Ledger.CommitCallsAsync(Call("msg_1"));

        var (first, second) = resultFirst ? (result, request) : (request, result);
        var batch = new IngestBatch();
        batch.ToolResults.Add(first);
        if (oneBatch)
        {
            batch.ToolResults.Add(second);
            await Ledger.CommitAsync(batch);
        }
        else
        {
            await Ledger.CommitAsync(batch);
            var next = new IngestBatch();
            next.ToolResults.Add(second);
            await Ledger.CommitAsync(next);
        }

        var merged = Assert.Single(await ToListAsync(Ledger.ReadToolResultsAsync(CallFilter.All)));
        Assert.Equal(request with
        {
            Timestamp = first.Timestamp, OutputBytes = 5120, Truncated = false, IsError = true, ConsumerCallKey = "msg_2",
        }, merged);
        Assert.Equal(1, (await Ledger.GetStatisticsAsync()).ToolResults);
    }

    [LedgerFact]
    public async Task Commit_ToolResultSeenTwice_KeepsTheFirstNonNullValues()
    {
        await Ledger.CommitCallsAsync(Call("call_1", source: SourceNames.Codex));
        var first = new IngestBatch();
        first.ToolResults.Add(Tool("t1", "call_1", session: "s", source: SourceNames.Codex) with { OutputBytes = 10, Truncated = null });
        await Ledger.CommitAsync(first);

        var second = new IngestBatch();
        second.ToolResults.Add(Tool("t1", "call_1", session: "other", source: SourceNames.Codex) with { OutputBytes = 99, Truncated = true });
        await Ledger.CommitAsync(second);

        var stored = Assert.Single(await ToListAsync(Ledger.ReadToolResultsAsync(CallFilter.All)));
        Assert.Equal(("s", 10L, true), (stored.SessionId, stored.OutputBytes!.Value, stored.Truncated!.Value));
    }

    [LedgerFact]
    public async Task Commit_Cursor_ReplacesTheEarlierCursorOfThatFile()
    {
        var batch = new IngestBatch();
        batch.Cursors.Add(Cursor("/logs/a.jsonl", 100));
        batch.Cursors.Add(Cursor("/logs/b.jsonl", 700, state: """{"turn":3}"""));
        batch.Cursors.Add(Cursor("/logs/a.jsonl", 50, source: SourceNames.Codex));
        await Ledger.CommitAsync(batch);

        var next = new IngestBatch();
        next.Cursors.Add(Cursor("/logs/a.jsonl", 300));
        next.Cursors.Add(Cursor("/logs/a.jsonl", 4200));   // the same file twice in a batch: the last wins
        await Ledger.CommitAsync(next);

        var cursors = await Ledger.GetCursorsAsync(SourceNames.ClaudeCode);
        Assert.Equal(2, cursors.Count);
        Assert.Equal(Cursor("/logs/a.jsonl", 4200), cursors["/logs/a.jsonl"]);
        Assert.Equal(Cursor("/logs/b.jsonl", 700, state: """{"turn":3}"""), cursors["/logs/b.jsonl"]);
        Assert.Equal(Cursor("/logs/a.jsonl", 50, source: SourceNames.Codex), Assert.Single(await Ledger.GetCursorsAsync(SourceNames.Codex)).Value);
        Assert.Empty(await Ledger.GetCursorsAsync(SourceNames.Gemini));
    }

    [LedgerFact]
    public async Task Commit_CursorTime_IsKeptToTheMillisecond()
    {
        var modified = new DateTimeOffset(2025, 6, 1, 12, 0, 0, 123, TimeSpan.FromHours(2)).AddTicks(4567);
        var batch = new IngestBatch();
        batch.Cursors.Add(Cursor("/logs/a.jsonl", 1) with { ModifiedUtc = modified });
        await Ledger.CommitAsync(batch);

        var stored = (await Ledger.GetCursorsAsync(SourceNames.ClaudeCode))["/logs/a.jsonl"].ModifiedUtc;

        Assert.Equal(modified.ToUnixTimeMilliseconds(), stored.ToUnixTimeMilliseconds());
        Assert.Equal(TimeSpan.Zero, stored.Offset);
    }

    [LedgerFact]
    public async Task Commit_RowFailingMidBatch_WritesNothingOfTheBatchIncludingItsCursor()
    {
        var before = new IngestBatch();
        before.Calls.Add(Call("msg_0"));
        before.Cursors.Add(Cursor("/logs/a.jsonl", 100));
        await Ledger.CommitAsync(before);

        var failing = new IngestBatch();
        failing.Calls.AddRange([Call("msg_1"), Call("msg_2"), Call("msg_3") with { Model = null! }, Call("msg_4")]);
        failing.ToolResults.Add(Tool("toolu_1", "msg_0"));
        failing.Cursors.Add(Cursor("/logs/a.jsonl", 900));
        failing.Cursors.Add(Cursor("/logs/new.jsonl", 900));

        await Assert.ThrowsAnyAsync<DbException>(() => Ledger.CommitAsync(failing));

        await AssertOnlyTheFirstBatchIsStored();
    }

    [LedgerFact]
    public async Task Commit_CursorFailingAfterCallsAndToolsWereWritten_RollsThemBack()
    {
        var before = new IngestBatch();
        before.Calls.Add(Call("msg_0"));
        before.Cursors.Add(Cursor("/logs/a.jsonl", 100));
        await Ledger.CommitAsync(before);

        // Cursors are written last, so a bad one fails after every call and tool row went in.
        var failing = new IngestBatch();
        failing.Calls.AddRange([Call("msg_0", usage: new TokenUsage(1, 1, 1, 1, 9999, null)), Call("msg_1")]);
        failing.ToolResults.Add(Tool("toolu_1", "msg_0"));
        failing.Cursors.Add(Cursor("/logs/a.jsonl", 900));
        failing.Cursors.Add(Cursor("/logs/z.jsonl", 900) with { Fingerprint = null! });

        await Assert.ThrowsAnyAsync<DbException>(() => Ledger.CommitAsync(failing));

        await AssertOnlyTheFirstBatchIsStored();
        // The ledger is still usable after the rollback.
        await Ledger.CommitCallsAsync(Call("msg_5"));
        Assert.Equal(2, (await Ledger.GetStatisticsAsync()).CallsBySource[SourceNames.ClaudeCode]);
    }

    [LedgerFact]
    public async Task Commit_CancelledBeforeItStarts_WritesNothing()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Ledger.CommitAsync(Batch(Call("msg_1")), cancelled.Token));

        Assert.Empty((await Ledger.GetStatisticsAsync()).CallsBySource);
    }

    [LedgerFact]
    public async Task Commit_TwoLedgersOnOneStoreWritingOverlappingBatchesAtOnce_StoreEachCallOnce()
    {
        // Each call's usage is derived from its key, so the expected totals are known exactly.
        static LlmCall Numbered(int i) => Call($"msg_{i:D5}", session: $"s{i % 7}", at: T0.AddSeconds(i), usage: new TokenUsage(i, null, 1, null, 2 * i, null));
        var second = await OpenAnotherAsync();

        // Both write calls 0..2999 (the overlap) and one range of their own, in batches of 500.
        static async Task Ingest(ILedger ledger, IEnumerable<int> keys)
        {
            foreach (var chunk in keys.Chunk(500))
            {
                await ledger.CommitAsync(Batch(chunk.Select(Numbered).ToArray()));
            }
        }

        await Task.WhenAll(
            Task.Run(() => Ingest(Ledger, Enumerable.Range(0, 4000))),
            Task.Run(() => Ingest(second, Enumerable.Range(0, 3000).Reverse().Concat(Enumerable.Range(4000, 1000)))));

        var row = Assert.Single(await Ledger.GroupAsync());
        Assert.Equal(5000, row.Calls);
        Assert.Equal(Enumerable.Range(0, 5000).Sum(i => (long)i), row.Tokens.Input);
        Assert.Equal(5000, row.Tokens.CacheWrite5m);
        Assert.Equal(2 * Enumerable.Range(0, 5000).Sum(i => (long)i), row.Tokens.Output);
        Assert.Null(row.Tokens.CacheRead);
        Assert.Equal(5000, (await second.GetStatisticsAsync()).CallsBySource[SourceNames.ClaudeCode]);
    }

    [LedgerFact]
    public async Task Commit_Statistics_CountWhatIsStored()
    {
        var batch = Batch(Call("a1"), Call("a2"), Call("c1", source: SourceNames.Codex));
        batch.ToolResults.Add(Tool("t1", "a1", session: "s"));
        batch.Cursors.Add(Cursor("/logs/a.jsonl", 3));   // 3 % 7 = 3 lines skipped
        batch.Cursors.Add(Cursor("/logs/b.jsonl", 12));  // 12 % 7 = 5 lines skipped
        await Ledger.CommitAsync(batch);

        var statistics = await Ledger.GetStatisticsAsync();

        Assert.Equal(Ledger.Location, statistics.Location);
        Assert.Equal(LatestSchemaVersion, statistics.SchemaVersion);
        Assert.Equal(new Dictionary<string, long> { [SourceNames.ClaudeCode] = 2, [SourceNames.Codex] = 1 }, statistics.CallsBySource);
        Assert.Equal(1, statistics.ToolResults);
        Assert.Equal(2, statistics.FilesTracked);
        Assert.Equal(8, statistics.LinesSkipped);
    }

    [LedgerFact]
    public async Task Commit_EmptyBatch_WritesNothing()
    {
        await Ledger.CommitAsync(new IngestBatch());

        var statistics = await Ledger.GetStatisticsAsync();
        Assert.Empty(statistics.CallsBySource);
        Assert.Equal(0, statistics.FilesTracked);
    }

    private async Task AssertOnlyTheFirstBatchIsStored()
    {
        var statistics = await Ledger.GetStatisticsAsync();
        Assert.Equal(1, statistics.CallsBySource[SourceNames.ClaudeCode]);
        Assert.Equal(0, statistics.ToolResults);
        Assert.Equal(1, statistics.FilesTracked);
        Assert.Equal(100, (await Ledger.GetCursorsAsync(SourceNames.ClaudeCode))["/logs/a.jsonl"].Offset);
        Assert.Equal(20, Assert.Single(await Ledger.GroupAsync()).Tokens.Output);
    }
}
