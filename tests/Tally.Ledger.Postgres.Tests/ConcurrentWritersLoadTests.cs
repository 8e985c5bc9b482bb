using System.Globalization;
using Tally.Ingest;
using Tally.Ledger.Postgres.Tests.TestSupport;
using Tally.Model;
using Tally.Projects;
using Tally.Sources.Events;

namespace Tally.Ledger.Postgres.Tests;

/// <summary>
/// The team ledger under load: 8 machines ingest overlapping sets of the same synced usage-event
/// files into one database at once, and one of them loses its connection mid-run. The totals must
/// equal the corpus's ground truth exactly: nothing lost, nothing counted twice.
/// </summary>
public sealed class ConcurrentWritersLoadTests : IDisposable
{
    private const int Files = 24;
    private const int CallsPerFile = 250;
    private const int Writers = 8;
    private const int FilesPerWriter = 9;

    private readonly string _corpus = Directory.CreateTempSubdirectory("tally-load-").FullName;

    public void Dispose() => Directory.Delete(_corpus, recursive: true);

    [PostgresFact]
    public async Task EightWritersOnOverlappingCorpora_OneConnectionKilled_TotalsEqualTheGroundTruth()
    {
        var truth = WriteCorpus();
        var server = await PostgresServer.InstanceAsync();
        var url = await server.CreateDatabaseAsync();
        var database = url[(url.LastIndexOf('/') + 1)..];

        // Writer w reads files w*3 .. w*3+8 (mod 24): every file is read by three machines.
        async Task<IngestResult> Machine(int w)
        {
            await using var ledger = await PostgresLedger.OpenAsync(
                $"{url}?application_name=writer-{w}", new PostgresLedgerOptions { Host = $"machine-{w}", User = $"user-{w}" });
            var files = Enumerable.Range(0, FilesPerWriter).Select(i => FilePath((w * 3 + i) % Files)).ToList();
            var ingester = new Ingester(ledger, [new UsageEventFiles(files, new ProjectKeyResolver())])
            {
                BatchCalls = 300,
                Origin = new RecordOrigin($"user-{w}", $"machine-{w}"),
            };
            return await ingester.RunAsync();
        }

        var running = Enumerable.Range(0, Writers).Select(w => Task.Run(() => Machine(w))).ToArray();
        var killed = 0L;
        while (killed == 0 && !running[3].IsCompleted)
        {
            killed = (long)(await server.ScalarAsync(database,
                "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'writer-3' AND state <> 'idle') k"))!;
            await Task.Delay(5);
        }

        var results = await Task.WhenAll(running);

        Assert.True(killed > 0, "writer 3 finished before its connection could be killed; make the corpus larger");
        Assert.All(results, r => Assert.Empty(r.Skipped));
        await using var reader = await PostgresLedger.OpenAsync(url, new PostgresLedgerOptions { Host = "reporter" });
        var rows = await reader.AggregateAsync(new UsageQuery(CallFilter.All, LedgerGrouping.None, []));
        var row = Assert.Single(rows);
        Assert.Equal(truth.Calls, row.Calls);
        Assert.Equal(truth.Tokens, row.Tokens);
        Assert.Equal(truth.Cost, row.ReportedCost);
        // Every writer's cursors cover exactly its own files.
        for (var w = 0; w < Writers; w++)
        {
            await using var machine = await PostgresLedger.OpenAsync(url, new PostgresLedgerOptions { Host = $"machine-{w}" });
            Assert.Equal(FilesPerWriter, (await machine.GetCursorsAsync(SourceNames.Events)).Count);
        }
    }

    private string FilePath(int file) => Path.Combine(_corpus, $"synced-{file:D2}.jsonl");

    /// <summary>Writes the corpus and returns its exact totals.</summary>
    private (long Calls, TokenUsage Tokens, decimal Cost) WriteCorpus()
    {
        var tokens = TokenUsage.None;
        var cost = 0m;
        var start = new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);
        for (var f = 0; f < Files; f++)
        {
            using var writer = new StreamWriter(FilePath(f));
            for (var i = 0; i < CallsPerFile; i++)
            {
                var n = f * CallsPerFile + i;
                var usage = new TokenUsage(n % 97, 1000 + n, n % 5 == 0 ? null : 7, null, 50 + n % 300, null);
                var price = (n % 13) / 1000m;
                tokens += usage;
                cost += price;
                writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $$"""{"schema":"tally.llm_call/1","id":"call-{{n:D6}}","timestamp":"{{start.AddSeconds(n):O}}","provider":"anthropic","model":"claude-sonnet-4-5","session":"s-{{f}}","finishReason":"end_turn","tokens":{"input":{{usage.Input}},"cacheRead":{{usage.CacheRead}},"cacheWrite5m":{{(usage.CacheWrite5m is { } w ? w.ToString(CultureInfo.InvariantCulture) : "null")}},"output":{{usage.Output}}},"cost":{{price}}}"""));
            }
        }

        return (Files * CallsPerFile, tokens, cost);
    }
}
