using Microsoft.Data.Sqlite;
using Tally.Ledger.Sqlite.Tests.TestSupport;
using Tally.Model;
using static Tally.Ledger.Sqlite.Tests.TestSupport.TestRecords;

namespace Tally.Ledger.Sqlite.Tests;

public sealed class SqliteLedgerCommitTests : IDisposable
{
    private readonly TempLedgerDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Commit_SameCallTwice_MoreCompleteObservationWinsInEitherOrder(bool completeFirst)
    {
        // A streaming snapshot (no stop reason yet, little output) and the finished response.
        var partial = Call("msg_1", usage: new TokenUsage(10, 100, 50, null, 3, null), stop: StopReason.Unknown, model: "partial-model");
        var complete = Call("msg_1", usage: new TokenUsage(10, 100, 50, null, 400, 120), stop: StopReason.ToolUse);
        await using var ledger = await _directory.OpenAsync();

        await ledger.CommitCallsAsync(completeFirst ? complete : partial);
        await ledger.CommitCallsAsync(completeFirst ? partial : complete);

        var row = Assert.Single(await ledger.GroupAsync());
        Assert.Equal(1, row.Calls);
        Assert.Equal(new TokenUsage(10, 100, 50, null, 400, 120), row.Tokens);
        Assert.Equal(StopReason.ToolUse, row.StopReason);
        Assert.Equal("claude-sonnet-4-5", row.Model);
    }

    [Fact]
    public async Task Commit_SameObservationRepeated_IsNeverSummed()
    {
        await using var ledger = await _directory.OpenAsync();
        var call = Call("msg_1", usage: new TokenUsage(1, 2, 3, 4, 5, 6));

        // Within one batch (one row per content block) and across batches (a file read twice).
        await ledger.CommitCallsAsync(call, call, call);
        await ledger.CommitCallsAsync(call);

        var row = Assert.Single(await ledger.GroupAsync());
        Assert.Equal(1, row.Calls);
        Assert.Equal(new TokenUsage(1, 2, 3, 4, 5, 6), row.Tokens);
    }

    [Fact]
    public async Task Commit_LessCompleteObservationWithNulls_DoesNotEraseKnownCounts()
    {
        await using var ledger = await _directory.OpenAsync();
        await ledger.CommitCallsAsync(Call("msg_1", usage: new TokenUsage(10, 0, 0, 0, 400, null)));

        await ledger.CommitCallsAsync(Call("msg_1", usage: TokenUsage.None, stop: StopReason.Unknown));

        Assert.Equal(new TokenUsage(10, 0, 0, 0, 400, null), Assert.Single(await ledger.GroupAsync()).Tokens);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Commit_ReplayFromAnotherSession_KeepsTheEarliestSession(bool replayFirst)
    {
        // A resumed session replays the call later, in another session and another directory.
        var original = Call("msg_1", session: "original", at: T0, project: "/home/me/src/tally");
        var replay = Call("msg_1", session: "resumed", at: T0.AddHours(1), project: "/tmp/elsewhere");
        await using var ledger = await _directory.OpenAsync();

        await ledger.CommitCallsAsync(replayFirst ? replay : original);
        await ledger.CommitCallsAsync(replayFirst ? original : replay);

        var bySession = Assert.Single(await ledger.GroupAsync(LedgerGrouping.Session));
        Assert.Equal("original", bySession.Key);
        Assert.Equal(1, bySession.Calls);
        Assert.Equal("/home/me/src/tally", Assert.Single(await ledger.GroupAsync(LedgerGrouping.Project)).Key);
        var quarter = Assert.Single(await ledger.GroupAsync(LedgerGrouping.QuarterHour));
        Assert.Equal(T0.ToUnixTimeMilliseconds() / 900_000, quarter.Bucket);
    }

    [Fact]
    public async Task Commit_ReplayAtTheSameTime_KeepsTheStoredSession()
    {
        await using var ledger = await _directory.OpenAsync();
        await ledger.CommitCallsAsync(Call("msg_1", session: "first-stored"));

        await ledger.CommitCallsAsync(Call("msg_1", session: "second-stored"));

        Assert.Equal("first-stored", Assert.Single(await ledger.GroupAsync(LedgerGrouping.Session)).Key);
    }

    [Fact]
    public async Task Commit_EarlierButLessCompleteSighting_TakesSessionButNotUsage()
    {
        await using var ledger = await _directory.OpenAsync();
        await ledger.CommitCallsAsync(Call("msg_1", session: "later", at: T0.AddMinutes(5), usage: new TokenUsage(1, 1, 1, 1, 900, null)));

        await ledger.CommitCallsAsync(Call("msg_1", session: "earlier", at: T0, usage: new TokenUsage(1, 1, 1, 1, 2, null), stop: StopReason.Unknown));

        var row = Assert.Single(await ledger.GroupAsync(LedgerGrouping.Session));
        Assert.Equal("earlier", row.Key);
        Assert.Equal(900, row.Tokens.Output);
        Assert.Equal(StopReason.EndTurn, row.StopReason);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Commit_ToolRequestAndResultHalves_MergeIntoOneRow(bool resultFirst)
    {
        var request = new ToolResult
        {
            Source = SourceNames.ClaudeCode, ToolUseId = "toolu_1", SessionId = "session-a",
            CallKey = "msg_1", Name = "Bash", Target = "dotnet test", Timestamp = T0,
        };
        var result = new ToolResult
        {
            Source = SourceNames.ClaudeCode, ToolUseId = "toolu_1", SessionId = "session-a",
            Timestamp = T0.AddSeconds(30), OutputBytes = 5120, Truncated = false, IsError = true, ConsumerCallKey = "msg_2",
        };
        await using var ledger = await _directory.OpenAsync();

        await ledger.CommitAsync(ToolBatch(resultFirst ? result : request));
        await ledger.CommitAsync(ToolBatch(resultFirst ? request : result));

        var row = Assert.Single(_directory.Query(
            "SELECT call_key, name, target, ts_ms, output_bytes, truncated, is_error, consumer_call_key FROM tool_results"));
        var firstSeenTime = (resultFirst ? result : request).Timestamp!.Value.ToUnixTimeMilliseconds();
        Assert.Equal(["msg_1", "Bash", "dotnet test", firstSeenTime, 5120L, 0L, 1L, "msg_2"], row);
        Assert.Equal(1, (await ledger.GetStatisticsAsync()).ToolResults);
    }

    [Fact]
    public async Task Commit_ToolResultSeenTwice_KeepsTheFirstNonNullValues()
    {
        await using var ledger = await _directory.OpenAsync();
        await ledger.CommitAsync(ToolBatch(new ToolResult
        {
            Source = SourceNames.Codex, ToolUseId = "call_1", SessionId = "s", OutputBytes = 10, Truncated = null,
        }));

        await ledger.CommitAsync(ToolBatch(new ToolResult
        {
            Source = SourceNames.Codex, ToolUseId = "call_1", SessionId = "other", OutputBytes = 99, Truncated = true,
        }));

        Assert.Equal(["s", 10L, 1L], Assert.Single(_directory.Query("SELECT session_id, output_bytes, truncated FROM tool_results")));
    }

    [Fact]
    public async Task Commit_Cursor_ReplacesTheEarlierCursorOfThatFile()
    {
        await using var ledger = await _directory.OpenAsync();
        var batch = new IngestBatch();
        batch.Cursors.Add(Cursor("/logs/a.jsonl", 100));
        batch.Cursors.Add(Cursor("/logs/b.jsonl", 700, state: """{"turn":3}"""));
        batch.Cursors.Add(Cursor("/logs/a.jsonl", 50, source: SourceNames.Codex));
        await ledger.CommitAsync(batch);

        var next = new IngestBatch();
        next.Cursors.Add(Cursor("/logs/a.jsonl", 4200));
        await ledger.CommitAsync(next);

        var cursors = await ledger.GetCursorsAsync(SourceNames.ClaudeCode);
        Assert.Equal(2, cursors.Count);
        Assert.Equal(Cursor("/logs/a.jsonl", 4200), cursors["/logs/a.jsonl"]);
        Assert.Equal(Cursor("/logs/b.jsonl", 700, state: """{"turn":3}"""), cursors["/logs/b.jsonl"]);
        Assert.Equal(Cursor("/logs/a.jsonl", 50, source: SourceNames.Codex), Assert.Single(await ledger.GetCursorsAsync(SourceNames.Codex)).Value);
        Assert.Empty(await ledger.GetCursorsAsync(SourceNames.Gemini));
    }

    [Fact]
    public async Task Commit_CursorTime_IsKeptToTheMillisecond()
    {
        await using var ledger = await _directory.OpenAsync();
        var modified = new DateTimeOffset(2025, 6, 1, 12, 0, 0, 123, TimeSpan.FromHours(2)).AddTicks(4567);
        var batch = new IngestBatch();
        batch.Cursors.Add(Cursor("/logs/a.jsonl", 1) with { ModifiedUtc = modified });
        await ledger.CommitAsync(batch);

        var stored = (await ledger.GetCursorsAsync(SourceNames.ClaudeCode))["/logs/a.jsonl"].ModifiedUtc;

        Assert.Equal(modified.ToUnixTimeMilliseconds(), stored.ToUnixTimeMilliseconds());
        Assert.Equal(TimeSpan.Zero, stored.Offset);
    }

    [Fact]
    public async Task Commit_RowFailingMidBatch_WritesNothingOfTheBatchIncludingItsCursor()
    {
        await using var ledger = await _directory.OpenAsync();
        var before = new IngestBatch();
        before.Calls.Add(Call("msg_0"));
        before.Cursors.Add(Cursor("/logs/a.jsonl", 100));
        await ledger.CommitAsync(before);

        var failing = new IngestBatch();
        failing.Calls.AddRange([Call("msg_1"), Call("msg_2"), Call("msg_3") with { Model = null! }, Call("msg_4")]);
        failing.ToolResults.Add(new ToolResult { Source = SourceNames.ClaudeCode, ToolUseId = "toolu_1", SessionId = "session-a" });
        failing.Cursors.Add(Cursor("/logs/a.jsonl", 900));
        failing.Cursors.Add(Cursor("/logs/new.jsonl", 900));

        var error = await Assert.ThrowsAsync<SqliteException>(() => ledger.CommitAsync(failing));

        Assert.Contains("NOT NULL", error.Message, StringComparison.Ordinal);
        await AssertOnlyTheFirstBatchIsStored(ledger);
    }

    [Fact]
    public async Task Commit_CursorFailingAfterCallsAndToolsWereWritten_RollsThemBack()
    {
        await using var ledger = await _directory.OpenAsync();
        var before = new IngestBatch();
        before.Calls.Add(Call("msg_0"));
        before.Cursors.Add(Cursor("/logs/a.jsonl", 100));
        await ledger.CommitAsync(before);

        // Cursors are written last, so a bad one fails after every call and tool row went in.
        var failing = new IngestBatch();
        failing.Calls.AddRange([Call("msg_0", usage: new TokenUsage(1, 1, 1, 1, 9999, null)), Call("msg_1")]);
        failing.ToolResults.Add(new ToolResult { Source = SourceNames.ClaudeCode, ToolUseId = "toolu_1", SessionId = "session-a" });
        failing.Cursors.Add(Cursor("/logs/a.jsonl", 900));
        failing.Cursors.Add(Cursor("/logs/z.jsonl", 900) with { Fingerprint = null! });

        await Assert.ThrowsAsync<SqliteException>(() => ledger.CommitAsync(failing));

        await AssertOnlyTheFirstBatchIsStored(ledger);
        // The ledger is still usable after the rollback.
        await ledger.CommitCallsAsync(Call("msg_5"));
        Assert.Equal(2, (await ledger.GetStatisticsAsync()).CallsBySource[SourceNames.ClaudeCode]);
    }

    [Fact]
    public async Task Commit_CancelledBeforeItStarts_WritesNothing()
    {
        await using var ledger = await _directory.OpenAsync();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ledger.CommitAsync(Batch(Call("msg_1")), cancelled.Token));

        Assert.Empty((await ledger.GetStatisticsAsync()).CallsBySource);
    }

    [Fact]
    public async Task Commit_CancelledPartWayThrough_RollsBackTheRowsAlreadyWritten()
    {
        await using var ledger = await _directory.OpenAsync();
        var batch = Batch(Enumerable.Range(0, 5000).Select(i => Call($"msg_{i}")).ToArray());
        batch.Cursors.Add(Cursor("/logs/a.jsonl", 100));
        using var cancellation = new CancellationTokenSource();

        // Another process holds the write lock, so the commit gets past its checks and waits
        // for the lock; it is cancelled while waiting and notices only between rows.
        using (var other = new SqliteConnection($"Data Source={_directory.LedgerPath};Pooling=false"))
        {
            other.Open();
            using var writeLock = other.BeginTransaction(deferred: false);
            var commit = Task.Run(() => ledger.CommitAsync(batch, cancellation.Token));
            await Task.Delay(300);
            Assert.False(commit.IsCompleted);
            await cancellation.CancelAsync();
            writeLock.Rollback();

            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => commit);
        }

        var statistics = await ledger.GetStatisticsAsync();
        Assert.Empty(statistics.CallsBySource);
        Assert.Equal(0, statistics.FilesTracked);
    }

    [Fact]
    public async Task Commit_TwoLedgersOnOneFileWritingOverlappingBatchesAtOnce_StoreEachCallOnce()
    {
        // Each call's usage is derived from its key, so the expected totals are known exactly.
        static LlmCall Numbered(int i) => Call($"msg_{i:D5}", session: $"s{i % 7}", at: T0.AddSeconds(i), usage: new TokenUsage(i, null, 1, null, 2 * i, null));
        await using var first = await _directory.OpenAsync();
        await using var second = await _directory.OpenAsync();

        // Both write calls 0..2999 (the overlap) and one range of their own, in batches of 500.
        async Task Ingest(SqliteLedger ledger, IEnumerable<int> keys)
        {
            foreach (var chunk in keys.Chunk(500))
            {
                await ledger.CommitAsync(Batch(chunk.Select(Numbered).ToArray()));
            }
        }

        await Task.WhenAll(
            Task.Run(() => Ingest(first, Enumerable.Range(0, 4000))),
            Task.Run(() => Ingest(second, Enumerable.Range(0, 3000).Reverse().Concat(Enumerable.Range(4000, 1000)))));

        var row = Assert.Single(await first.GroupAsync());
        Assert.Equal(5000, row.Calls);
        Assert.Equal(Enumerable.Range(0, 5000).Sum(i => (long)i), row.Tokens.Input);
        Assert.Equal(5000, row.Tokens.CacheWrite5m);
        Assert.Equal(2 * Enumerable.Range(0, 5000).Sum(i => (long)i), row.Tokens.Output);
        Assert.Null(row.Tokens.CacheRead);
        Assert.Equal(5000L, _directory.Scalar("SELECT count(DISTINCT call_key) FROM calls"));
    }

    [Fact]
    public async Task Commit_Statistics_CountWhatIsStored()
    {
        await using var ledger = await _directory.OpenAsync();
        var batch = Batch(Call("a1"), Call("a2"), Call("c1", source: SourceNames.Codex));
        batch.ToolResults.Add(new ToolResult { Source = SourceNames.ClaudeCode, ToolUseId = "t1", SessionId = "s" });
        batch.Cursors.Add(Cursor("/logs/a.jsonl", 3));   // 3 % 7 = 3 lines skipped
        batch.Cursors.Add(Cursor("/logs/b.jsonl", 12));  // 12 % 7 = 5 lines skipped
        await ledger.CommitAsync(batch);

        var statistics = await ledger.GetStatisticsAsync();

        Assert.Equal(ledger.Location, statistics.Location);
        Assert.Equal(SqliteSchema.LatestVersion, statistics.SchemaVersion);
        Assert.Equal(new Dictionary<string, long> { [SourceNames.ClaudeCode] = 2, [SourceNames.Codex] = 1 }, statistics.CallsBySource);
        Assert.Equal(1, statistics.ToolResults);
        Assert.Equal(2, statistics.FilesTracked);
        Assert.Equal(8, statistics.LinesSkipped);
    }

    [Fact]
    public async Task Commit_EveryField_IsStoredAsGiven()
    {
        await using var ledger = await _directory.OpenAsync();
        var call = new LlmCall
        {
            Source = SourceNames.Sdk, CallKey = "req_9", KeyKind = KeyKind.RequestId, SessionId = "s", Timestamp = T0,
            Model = "gpt-5", Provider = "openai", Usage = new TokenUsage(1, 2, 3, 4, 5, 6), StopReason = StopReason.Other,
            StopReasonRaw = "weird", Project = "/p", ProjectKey = "github.com/me/p", RequestId = "req_9", Agent = "reviewer",
            IsSidechain = true, DurationMs = 1234, ReportedCost = 0.5m, User = "me", Host = "box",
        };

        await ledger.CommitCallsAsync(call);

        var row = Assert.Single(_directory.Query("""
            SELECT key_kind, provider, stop_reason, stop_reason_raw, project, project_key, request_id, agent,
                   is_sidechain, duration_ms, reported_cost_nanos, user_name, host_name, completeness, context_tokens
            FROM calls
            """));
        Assert.Equal(
            [1L, "openai", 7L, "weird", "/p", "github.com/me/p", "req_9", "reviewer", 1L, 1234L, 500_000_000L, "me", "box", call.Completeness, 10L],
            row);
    }

    private async Task AssertOnlyTheFirstBatchIsStored(SqliteLedger ledger)
    {
        var statistics = await ledger.GetStatisticsAsync();
        Assert.Equal(1, statistics.CallsBySource[SourceNames.ClaudeCode]);
        Assert.Equal(0, statistics.ToolResults);
        Assert.Equal(1, statistics.FilesTracked);
        Assert.Equal(100, (await ledger.GetCursorsAsync(SourceNames.ClaudeCode))["/logs/a.jsonl"].Offset);
        Assert.Equal(20, Assert.Single(await ledger.GroupAsync()).Tokens.Output);
    }

    private static IngestBatch ToolBatch(ToolResult tool)
    {
        var batch = new IngestBatch();
        batch.ToolResults.Add(tool);
        return batch;
    }
}
