using System.Text.Json;

namespace Tally.Bench.Corpus;

/// <summary>Token sums of one model over distinct billed calls.</summary>
internal sealed class ModelTotals
{
    public long Calls;
    public long Input;
    public long CacheRead;
    public long CacheWrite5m;
    public long CacheWrite1h;
    public long Output;
    public long Reasoning;

    public void Add(ModelTotals o)
    {
        Reasoning += o.Reasoning;
        Calls += o.Calls;
        Input += o.Input;
        CacheRead += o.CacheRead;
        CacheWrite5m += o.CacheWrite5m;
        CacheWrite1h += o.CacheWrite1h;
        Output += o.Output;
    }
}

/// <summary>What the generator wrote, counted as it wrote it.</summary>
internal sealed class CorpusStats
{
    public long Files;
    public long SessionFiles;
    public long SubagentFiles;
    public long Bytes;
    public long Lines;
    public long UserRows;
    public long ToolResultRows;
    public long AssistantRows;
    public long ProgressRows;
    public long ProgressMirrorsOfCalls;
    public long SummaryRows;
    public long SnapshotRows;
    public long SystemRows;
    public long BrokenLines;
    public long ResumedSessions;
    public long ReplayedBytes;
    public long StreamedCalls;
    public long TruncatedBashOutputs;
    public long LargeToolResults;
    public long HugeToolResults;
    public List<long> FileSizes { get; } = [];

    public void Add(CorpusStats o)
    {
        Files += o.Files;
        SessionFiles += o.SessionFiles;
        SubagentFiles += o.SubagentFiles;
        Bytes += o.Bytes;
        Lines += o.Lines;
        UserRows += o.UserRows;
        ToolResultRows += o.ToolResultRows;
        AssistantRows += o.AssistantRows;
        ProgressRows += o.ProgressRows;
        ProgressMirrorsOfCalls += o.ProgressMirrorsOfCalls;
        SummaryRows += o.SummaryRows;
        SnapshotRows += o.SnapshotRows;
        SystemRows += o.SystemRows;
        BrokenLines += o.BrokenLines;
        ResumedSessions += o.ResumedSessions;
        ReplayedBytes += o.ReplayedBytes;
        StreamedCalls += o.StreamedCalls;
        TruncatedBashOutputs += o.TruncatedBashOutputs;
        LargeToolResults += o.LargeToolResults;
        HugeToolResults += o.HugeToolResults;
        FileSizes.AddRange(o.FileSizes);
    }
}

/// <summary>
/// The ground truth a run checks Tally against: every distinct billed call exactly once
/// (streamed block rows, resumed-session replays and progress mirrors collapsed), summed
/// per model into Tally's disjoint buckets. A row that carried no split of its cache write
/// counts the flat figure as 5-minute writes.
/// </summary>
internal sealed class GroundTruth
{
    public SortedDictionary<string, ModelTotals> Models { get; } = new(StringComparer.Ordinal);

    public void AddCall(string model, long input, long cacheRead, long write5m, long write1h, long output, long reasoning = 0)
    {
        if (!Models.TryGetValue(model, out var t))
        {
            Models[model] = t = new ModelTotals();
        }
        t.Calls++;
        t.Input += input;
        t.CacheRead += cacheRead;
        t.CacheWrite5m += write5m;
        t.CacheWrite1h += write1h;
        t.Output += output;
        t.Reasoning += reasoning;
    }

    public void Add(GroundTruth o)
    {
        foreach (var (model, totals) in o.Models)
        {
            if (!Models.TryGetValue(model, out var t))
            {
                Models[model] = t = new ModelTotals();
            }
            t.Add(totals);
        }
    }

    public void Write(string path, long requestedBytes, ulong seed, CorpusStats stats, string sources = "claude",
        IReadOnlyList<(string Source, GroundTruth Truth, SourceStats Stats)>? others = null)
    {
        using var stream = File.Create(path);
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("generator", "Tally.Bench.Corpus");
        w.WriteNumber("formatVersion", 1);
        w.WriteNumber("seed", seed);
        w.WriteNumber("requestedBytes", requestedBytes);
        w.WriteString("source", "claude-code");

        var totals = new ModelTotals();
        foreach (var t in Models.Values)
        {
            totals.Add(t);
        }
        w.WriteNumber("calls", totals.Calls);
        w.WriteStartObject("models");
        foreach (var (model, t) in Models)
        {
            w.WritePropertyName(model);
            WriteTotals(w, t);
        }
        w.WriteEndObject();
        w.WritePropertyName("totals");
        WriteTotals(w, totals);

        long[] sizes = [.. stats.FileSizes.Order()];
        w.WriteStartObject("corpus");
        w.WriteNumber("bytes", stats.Bytes);
        w.WriteNumber("files", stats.Files);
        w.WriteNumber("sessionFiles", stats.SessionFiles);
        w.WriteNumber("subagentFiles", stats.SubagentFiles);
        w.WriteNumber("lines", stats.Lines);
        w.WriteNumber("medianFileBytes", Percentile(sizes, 0.5));
        w.WriteNumber("p90FileBytes", Percentile(sizes, 0.9));
        w.WriteNumber("p99FileBytes", Percentile(sizes, 0.99));
        w.WriteNumber("maxFileBytes", sizes.Length == 0 ? 0 : sizes[^1]);
        w.WriteEndObject();

        w.WriteStartObject("rows");
        w.WriteNumber("user", stats.UserRows);
        w.WriteNumber("toolResult", stats.ToolResultRows);
        w.WriteNumber("assistant", stats.AssistantRows);
        w.WriteNumber("progress", stats.ProgressRows);
        w.WriteNumber("summary", stats.SummaryRows);
        w.WriteNumber("fileHistorySnapshot", stats.SnapshotRows);
        w.WriteNumber("system", stats.SystemRows);
        w.WriteNumber("broken", stats.BrokenLines);
        w.WriteEndObject();

        w.WriteStartObject("traps");
        w.WriteNumber("streamedCalls", stats.StreamedCalls);
        w.WriteNumber("progressMirrorsOfCalls", stats.ProgressMirrorsOfCalls);
        w.WriteNumber("resumedSessions", stats.ResumedSessions);
        w.WriteNumber("replayedBytes", stats.ReplayedBytes);
        w.WriteNumber("truncatedBashOutputs", stats.TruncatedBashOutputs);
        w.WriteNumber("toolResults8to16KB", stats.LargeToolResults);
        w.WriteNumber("toolResults48to80KB", stats.HugeToolResults);
        w.WriteEndObject();

        // Every source, Claude Code included, in the shape of Tally's summary --by source rows.
        w.WriteString("sources", sources);
        w.WriteStartObject("bySource");
        var claude = new SourceStats("claude-code") { Files = stats.Files, Bytes = stats.Bytes, Lines = stats.Lines };
        var all = new List<(string Source, GroundTruth Truth, SourceStats Stats)> { ("claude-code", this, claude) };
        all.AddRange(others ?? []);
        foreach (var (source, truth, s) in all)
        {
            var sum = new ModelTotals();
            foreach (var m in truth.Models.Values)
            {
                sum.Add(m);
            }
            w.WriteStartObject(source);
            w.WriteNumber("calls", sum.Calls);
            w.WritePropertyName("tokens");
            WriteBuckets(w, sum);
            w.WriteStartObject("models");
            foreach (var (model, t) in truth.Models)
            {
                w.WritePropertyName(model);
                WriteTotals(w, t);
            }
            w.WriteEndObject();
            w.WriteStartObject("corpus");
            long[] fs = [.. s.FileSizes.Order()];
            w.WriteNumber("bytes", s.Bytes);
            w.WriteNumber("files", s.Files);
            if (s.Lines > 0)
            {
                w.WriteNumber("lines", s.Lines);
            }
            if (fs.Length > 0)
            {
                w.WriteNumber("medianFileBytes", Percentile(fs, 0.5));
                w.WriteNumber("maxFileBytes", fs[^1]);
            }
            foreach (var (k, v) in s.Counters)
            {
                w.WriteNumber(k, v);
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndObject();

        w.WriteEndObject();
    }

    private static void WriteBuckets(Utf8JsonWriter w, ModelTotals t)
    {
        w.WriteStartObject();
        w.WriteNumber("input", t.Input);
        w.WriteNumber("cacheRead", t.CacheRead);
        w.WriteNumber("cacheWrite5m", t.CacheWrite5m);
        w.WriteNumber("cacheWrite1h", t.CacheWrite1h);
        w.WriteNumber("output", t.Output);
        w.WriteNumber("reasoning", t.Reasoning);
        w.WriteEndObject();
    }

    private static long Percentile(long[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

    private static void WriteTotals(Utf8JsonWriter w, ModelTotals t)
    {
        w.WriteStartObject();
        w.WriteNumber("calls", t.Calls);
        w.WriteNumber("input", t.Input);
        w.WriteNumber("cacheRead", t.CacheRead);
        w.WriteNumber("cacheWrite5m", t.CacheWrite5m);
        w.WriteNumber("cacheWrite1h", t.CacheWrite1h);
        w.WriteNumber("output", t.Output);
        w.WriteNumber("reasoning", t.Reasoning);
        w.WriteEndObject();
    }
}

/// <summary>What the Codex and OpenCode writers wrote: files, bytes, and named counters.</summary>
internal sealed class SourceStats(string source)
{
    public string Source { get; } = source;
    public long Files;
    public long Bytes;
    public long Lines;
    public List<long> FileSizes { get; } = [];
    public SortedDictionary<string, long> Counters { get; } = new(StringComparer.Ordinal);

    public void Count(string name) => Add(name, 1);

    public void Add(string name, long v) => Counters[name] = Counters.GetValueOrDefault(name) + v;

    public void Add(SourceStats o)
    {
        Files += o.Files;
        Bytes += o.Bytes;
        Lines += o.Lines;
        FileSizes.AddRange(o.FileSizes);
        foreach (var (k, v) in o.Counters)
        {
            Add(k, v);
        }
    }
}
