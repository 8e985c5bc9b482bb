using Microsoft.Data.Sqlite;
using Tally.Ledger.Sqlite.Tests.TestSupport;
using Tally.Model;
using static Tally.Ledger.Contract.ContractRecords;

namespace Tally.Ledger.Sqlite.Tests;

/// <summary>What only the SQLite ledger can show: its columns as stored and its write lock (the rest is in the shared contract).</summary>
public sealed class SqliteLedgerCommitTests : IDisposable
{
    private readonly TempLedgerDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

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
}
