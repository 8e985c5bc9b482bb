// Measures, for each ledger given, how fast calls go in through the ledger contract (CommitAsync,
// in batches the size the ingester uses) and how long the summary takes over all of them
// (SummaryQuery, as `tally summary` runs it, median of several runs). Both ledgers get the same
// deterministic calls, and the summaries' totals are checked against each other.
//
//   tally-bench-ledger --calls 1000000 --ledger /tmp/x/ledger.db --ledger postgres://me@127.0.0.1:5432/bench [--runs 5]
using System.Diagnostics;
using System.Globalization;
using Tally.Ingest;
using Tally.Ledger;
using Tally.Model;
using Tally.Pricing;
using Tally.Reports;

var calls = 1_000_000;
var runs = 5;
var batchSize = 50_000;
var ledgers = new List<string>();
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--calls": calls = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--runs": runs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--batch": batchSize = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--ledger": ledgers.Add(args[++i]); break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
    }
}

if (ledgers.Count == 0)
{
    Console.Error.WriteLine("usage: tally-bench-ledger --calls N --ledger LOCATION [--ledger LOCATION ...] [--runs N] [--batch N]");
    return 2;
}

var prices = PriceCatalog.Load(null);
var environment = AgentEnvironment.Current;
var totals = new List<string>();
Console.WriteLine($"{"ledger",-44} {"calls",10} {"write s",8} {"calls/s",10} {"summary ms (median)",20} {"by day ms",10}");
foreach (var location in ledgers)
{
    var resolved = LedgerLocation.Parse(location, environment);
    await using var ledger = await resolved.OpenAsync();

    var write = Stopwatch.StartNew();
    foreach (var batch in Synthetic.Calls(calls).Chunk(batchSize))
    {
        var ingest = new IngestBatch();
        ingest.Calls.AddRange(batch);
        await ledger.CommitAsync(ingest);
    }

    write.Stop();

    double Median(List<double> xs) => xs.Order().ElementAt(xs.Count / 2);
    async Task<(double Ms, SummaryReport Report)> Summary(SummaryGrouping grouping)
    {
        var times = new List<double>();
        SummaryReport? report = null;
        for (var r = 0; r < runs; r++)
        {
            var clock = Stopwatch.StartNew();
            report = await SummaryQuery.RunAsync(ledger, prices, new SummaryOptions(CallFilter.All, grouping, TimeZoneInfo.Utc));
            times.Add(clock.Elapsed.TotalMilliseconds);
        }

        return (Median(times), report!);
    }

    var byModel = await Summary(SummaryGrouping.Model);
    var byDay = await Summary(SummaryGrouping.Day);
    var t = byModel.Report.Totals;
    totals.Add($"{t.Calls} calls, {t.Tokens.BilledTokens} billed tokens, cost {t.Cost}");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{resolved.Display,-44} {t.Calls,10} {write.Elapsed.TotalSeconds,8:F2} {calls / write.Elapsed.TotalSeconds,10:F0} {byModel.Ms,20:F0} {byDay.Ms,10:F0}"));
}

var same = totals.Distinct().Count() == 1;
Console.WriteLine(same ? $"totals: identical across ledgers ({totals[0]})" : "TOTALS DIFFER: " + string.Join(" | ", totals));
return same ? 0 : 1;

/// <summary>Deterministic calls shaped like a team's: random ids, a few models, many sessions and projects, 90 days.</summary>
internal static class Synthetic
{
    private static readonly string[] Models = ["claude-sonnet-4-5-20250929", "claude-opus-4-1-20250805", "claude-haiku-4-5-20251001", "gpt-5", "gemini-2.5-pro"];

    public static IEnumerable<LlmCall> Calls(int count)
    {
        var random = new Random(42);
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < count; i++)
        {
            var model = Models[random.Next(Models.Length)];
            var session = random.Next(count / 200 + 1);
            yield return new LlmCall
            {
                Source = model.StartsWith("claude", StringComparison.Ordinal) ? SourceNames.ClaudeCode : SourceNames.Codex,
                CallKey = "msg_" + random.NextInt64().ToString("x16", CultureInfo.InvariantCulture),
                SessionId = $"session-{session:D6}",
                Timestamp = start.AddSeconds(random.Next(90 * 24 * 3600)),
                Model = model,
                Provider = model.StartsWith("claude", StringComparison.Ordinal) ? "anthropic" : model.StartsWith("gpt", StringComparison.Ordinal) ? "openai" : "google",
                Usage = new TokenUsage(random.Next(5_000), random.Next(200_000), random.Next(10) == 0 ? null : random.Next(20_000), null, random.Next(4_000), null),
                StopReason = (StopReason)(1 + random.Next(3)),
                Project = $"/home/dev{session % 12}/src/project-{session % 40}",
                User = $"dev{session % 12}",
                Host = $"host-{session % 12}",
            };
        }
    }
}
