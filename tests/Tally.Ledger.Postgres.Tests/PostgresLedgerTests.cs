using Npgsql;
using Tally.Ledger.Postgres.Tests.TestSupport;
using Tally.Model;
using static Tally.Ledger.Contract.ContractRecords;

namespace Tally.Ledger.Postgres.Tests;

/// <summary>What only the team ledger does: its schema and migrations, per-host cursors, stamping, retries, redaction.</summary>
public sealed class PostgresLedgerTests
{
    private static PostgresLedgerOptions Machine(string host, string user = "tester") => new() { Host = host, User = user };

    private static async Task<(PostgresServer Server, string Url, string Database)> NewDatabaseAsync()
    {
        var server = await PostgresServer.InstanceAsync();
        var url = await server.CreateDatabaseAsync();
        return (server, url, url[(url.LastIndexOf('/') + 1)..]);
    }

    [PostgresFact]
    public async Task Open_ManyMachinesAtOnceOnANewDatabase_AllSucceedAndMigrateOnce()
    {
        var (server, url, database) = await NewDatabaseAsync();

        var ledgers = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => PostgresLedger.OpenAsync(url, Machine("host-" + i)))));
        try
        {
            await Task.WhenAll(ledgers.Select((l, i) => l.CommitCallsAsync(Call("msg_" + i))));
            Assert.Equal(8, (await ledgers[0].GetStatisticsAsync()).CallsBySource[SourceNames.ClaudeCode]);
        }
        finally
        {
            foreach (var ledger in ledgers)
            {
                await ledger.DisposeAsync();
            }
        }

        Assert.Equal((long)PostgresSchema.LatestVersion, await server.ScalarAsync(database, "SELECT count(*) FROM tally_schema_migrations"));
        Assert.Equal(PostgresSchema.LatestVersion, (int)(await server.ScalarAsync(database, "SELECT max(version) FROM tally_schema_migrations"))!);
    }

    [PostgresFact]
    public async Task Open_DatabaseFromNewerTally_IsRefusedWithoutChangingIt()
    {
        var (server, url, database) = await NewDatabaseAsync();
        await (await PostgresLedger.OpenAsync(url, Machine("a"))).DisposeAsync();
        await server.ScalarAsync(database, $"INSERT INTO tally_schema_migrations (version) VALUES ({PostgresSchema.LatestVersion + 1})");

        var error = await Assert.ThrowsAsync<NotSupportedException>(() => PostgresLedger.OpenAsync(url, Machine("a")));

        Assert.Contains("upgrade Tally", error.Message, StringComparison.Ordinal);
        Assert.Equal((long)PostgresSchema.LatestVersion + 1, await server.ScalarAsync(database, "SELECT count(*) FROM tally_schema_migrations"));
    }

    [PostgresFact]
    public async Task Schema_TokensAreBigintMoneyIsNumericAndTheQueriesHaveIndexes()
    {
        var (server, url, database) = await NewDatabaseAsync();
        await (await PostgresLedger.OpenAsync(url, Machine("a"))).DisposeAsync();

        async Task<string?> TypeOf(string column) => (string?)await server.ScalarAsync(database,
            $"SELECT data_type FROM information_schema.columns WHERE table_name = 'calls' AND column_name = '{column}'");

        foreach (var column in new[] { "input", "cache_read", "cache_write_5m", "cache_write_1h", "output", "reasoning", "context_tokens" })
        {
            Assert.Equal("bigint", await TypeOf(column));
        }

        Assert.Equal("numeric", await TypeOf("reported_cost"));
        var indexes = (string?)await server.ScalarAsync(database, "SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE tablename = 'calls'");
        Assert.Equal("calls_by_project,calls_by_session,calls_by_time,calls_pkey", indexes);
    }

    [PostgresFact]
    public async Task Ingest_CommitsInTheBatchSizeThisLedgerPrefers()
    {
        var (_, url, _) = await NewDatabaseAsync();
        await using var ledger = await PostgresLedger.OpenAsync(url, Machine("a"));

        Assert.Equal(10_000, new Tally.Ingest.Ingester(ledger, []).BatchCalls);
    }

    [PostgresFact]
    public async Task Cursors_AreKeptPerHost()
    {
        var (_, url, _) = await NewDatabaseAsync();
        await using var laptop = await PostgresLedger.OpenAsync(url, Machine("laptop"));
        await using var ci = await PostgresLedger.OpenAsync(url, Machine("ci-runner"));
        var fromLaptop = new IngestBatch();
        fromLaptop.Cursors.Add(Cursor("/home/me/.claude/projects/a.jsonl", 100));
        await laptop.CommitAsync(fromLaptop);
        var fromCi = new IngestBatch();
        fromCi.Cursors.Add(Cursor("/home/me/.claude/projects/a.jsonl", 900));
        fromCi.Cursors.Add(Cursor("/home/me/.claude/projects/b.jsonl", 50));
        await ci.CommitAsync(fromCi);

        Assert.Equal(100, Assert.Single(await laptop.GetCursorsAsync(SourceNames.ClaudeCode)).Value.Offset);
        Assert.Equal(900, (await ci.GetCursorsAsync(SourceNames.ClaudeCode))["/home/me/.claude/projects/a.jsonl"].Offset);
        Assert.Equal(1, (await laptop.GetStatisticsAsync()).FilesTracked);
        Assert.Equal(2, (await ci.GetStatisticsAsync()).FilesTracked);
    }

    [PostgresFact]
    public async Task Calls_WithoutUserOrHost_GetTheWritersAndOnesWithThemKeepTheirs()
    {
        var (_, url, _) = await NewDatabaseAsync();
        await using var ledger = await PostgresLedger.OpenAsync(url, Machine("ci-7", user: "runner"));

        await ledger.CommitCallsAsync(Call("m1"), Call("m2", user: "ann", host: "laptop"), Call("m3", user: "bob"));

        var calls = (await ToListAsync(ledger.ReadCallsAsync(CallFilter.All))).ToDictionary(c => c.CallKey);
        Assert.Equal(("runner", "ci-7"), (calls["m1"].User, calls["m1"].Host));
        Assert.Equal(("ann", "laptop"), (calls["m2"].User, calls["m2"].Host));
        Assert.Equal(("bob", "ci-7"), (calls["m3"].User, calls["m3"].Host));
    }

    [PostgresFact]
    public async Task Forget_RemovesOnlyWhatThisHostWrote()
    {
        var (_, url, _) = await NewDatabaseAsync();
        await using var laptop = await PostgresLedger.OpenAsync(url, Machine("laptop"));
        await using var ci = await PostgresLedger.OpenAsync(url, Machine("ci"));
        foreach (var (ledger, key) in new[] { (laptop, "l"), (ci, "c") })
        {
            var batch = Batch(Call(key + "1"));
            batch.ToolResults.Add(Tool(key + "-tool", key + "1"));
            batch.Cursors.Add(Cursor("/logs/a.jsonl", 100));
            await ledger.CommitAsync(batch);
        }

        await laptop.ForgetSourcesAsync([SourceNames.ClaudeCode]);

        var left = Assert.Single(await ToListAsync(ci.ReadCallsAsync(CallFilter.All)));
        Assert.Equal("c1", left.CallKey);
        Assert.Equal("c-tool", Assert.Single(await ToListAsync(ci.ReadToolResultsAsync(CallFilter.All))).ToolUseId);
        Assert.Empty(await laptop.GetCursorsAsync(SourceNames.ClaudeCode));
        Assert.Single(await ci.GetCursorsAsync(SourceNames.ClaudeCode));
    }

    [PostgresFact]
    public async Task Location_NeverShowsThePassword_NorDoesAFailedLogin()
    {
        var (server, _, database) = await NewDatabaseAsync();
        await using var ledger = await PostgresLedger.OpenAsync(server.Url(database, password: "hunter2-s3cret"), Machine("a"));

        Assert.Equal($"postgres://tally@127.0.0.1:{server.Port}/{database}", ledger.Location);
        Assert.DoesNotContain("s3cret", (await ledger.GetStatisticsAsync()).Location, StringComparison.Ordinal);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => PostgresLedger.OpenAsync(
            $"postgres://tally:hunter2-s3cret@127.0.0.1:{server.Port}/no_such_database", Machine("a")));
        Assert.DoesNotContain("s3cret", error.ToString(), StringComparison.Ordinal);
    }

    [PostgresFact]
    public async Task Commit_ConnectionKilledMidBatch_IsRetriedAndCountsEachCallOnce()
    {
        var (server, url, database) = await NewDatabaseAsync();
        await using var ledger = await PostgresLedger.OpenAsync(url + "?application_name=victim", Machine("a"));
        var calls = Enumerable.Range(0, 20_000).Select(i => Call($"msg_{i:D6}", usage: new TokenUsage(i, null, null, null, 1, null))).ToArray();

        // Kill the writer's backend twice while the batch is in flight.
        using var stop = new CancellationTokenSource();
        var killed = 0L;
        var killer = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested && killed < 2)
            {
                killed += (long)(await server.ScalarAsync(database,
                    "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'victim' AND state <> 'idle') k"))!;
                await Task.Delay(15);
            }
        });
        var commit = ledger.CommitAsync(Batch(calls));
        await Task.WhenAny(commit, Task.Delay(TimeSpan.FromSeconds(60)));
        await stop.CancelAsync();
        await killer;
        await commit;

        Assert.True(killed > 0, "the test never caught the writer mid-batch");
        var row = Assert.Single(await ledger.GroupAsync());
        Assert.Equal(20_000, row.Calls);
        Assert.Equal(Enumerable.Range(0, 20_000).Sum(i => (long)i), row.Tokens.Input);
    }
}
