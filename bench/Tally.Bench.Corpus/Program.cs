using System.Diagnostics;
using System.Globalization;
using Tally.Bench.Corpus;

// Writes DIR/.claude/projects/<encoded-cwd>/<session>.jsonl (DIR acts as a HOME) and
// DIR/expected.json, the ground truth a benchmark run checks totals against. With --sources mixed
// the size is split 60/25/15 between Claude Code, Codex CLI (DIR/.codex/sessions/...) and
// OpenCode's file storage (DIR/.local/share/opencode/storage/...).

const string Marker = ".tally-bench-corpus";
const string Usage = "usage: tally-bench-corpus --out DIR [--size 1GB] [--seed N] [--threads N] [--sources claude|mixed]";

string? outDir = null;
long size = 1L << 30;
ulong seed = 1;
int threads = Environment.ProcessorCount;
string sources = "claude";
for (int i = 0; i < args.Length; i++)
{
    string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
    try
    {
        switch (args[i])
        {
            case "--out": outDir = Value(); break;
            case "--size": size = ParseSize(Value()); break;
            case "--seed": seed = ulong.Parse(Value(), CultureInfo.InvariantCulture); break;
            case "--threads": threads = Math.Max(1, int.Parse(Value(), CultureInfo.InvariantCulture)); break;
            case "--sources":
                sources = Value();
                if (sources is not ("claude" or "mixed"))
                {
                    throw new ArgumentException("--sources must be claude or mixed.");
                }
                break;
            case "-h" or "--help": Console.WriteLine(Usage); return 0;
            default: throw new ArgumentException($"Unknown option {args[i]}.");
        }
    }
    catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
    {
        Console.Error.WriteLine($"{e.Message}\n{Usage}");
        return 2;
    }
}
if (outDir is null)
{
    Console.Error.WriteLine($"--out is required.\n{Usage}");
    return 2;
}
if (size < 16 * 1024)
{
    Console.Error.WriteLine("--size must be at least 16KB.");
    return 2;
}

outDir = Path.GetFullPath(outDir);
string claudeDir = Path.Combine(outDir, ".claude");
string expectedPath = Path.Combine(outDir, "expected.json");
// DIR stands in for a HOME: never wipe log folders this tool did not write.
string codexDir = Path.Combine(outDir, ".codex");
string openCodeDir = Path.Combine(outDir, ".local", "share", "opencode");
foreach (string dir in new[] { claudeDir, codexDir, openCodeDir })
{
    if (Directory.Exists(dir) && !File.Exists(Path.Combine(outDir, Marker)))
    {
        Console.Error.WriteLine($"{dir} exists and was not written by this generator; choose an empty --out directory.");
        return 2;
    }
}
foreach (string dir in new[] { claudeDir, codexDir, openCodeDir })
{
    if (Directory.Exists(dir))
    {
        Directory.Delete(dir, recursive: true);
    }
}
Directory.CreateDirectory(outDir);
File.Delete(expectedPath);
File.WriteAllText(Path.Combine(outDir, Marker), "Written by bench/Tally.Bench.Corpus; safe to delete.\n");
string projectsDir = Path.Combine(claudeDir, "projects");
Directory.CreateDirectory(projectsDir);

var clock = Stopwatch.StartNew();
var pools = new TextPools(seed);
bool mixed = sources == "mixed";
long claudeSize = mixed ? (long)(size * 0.60) : size;
var plan = CorpusPlan.Build(claudeSize, seed);
var writers = plan.Select(p => new ProjectWriter(pools, p, projectsDir)).ToArray();
var order = writers.OrderByDescending(w => plan[Array.IndexOf(writers, w)].TotalTarget).ToArray();
Parallel.ForEach(order, new ParallelOptions { MaxDegreeOfParallelism = threads }, w => w.Run());

var truth = new GroundTruth();
var stats = new CorpusStats();
foreach (var w in writers)
{
    truth.Add(w.Truth);
    stats.Add(w.Stats);
}
var others = new List<(string Source, GroundTruth Truth, SourceStats Stats)>();
if (mixed)
{
    var (codexTruth, codexStats) = CodexWriter.Generate(pools, (long)(size * 0.25), seed, outDir, threads);
    others.Add((CodexWriter.Source, codexTruth, codexStats));
    var (openTruth, openStats) = OpenCodeWriter.Generate(pools, size - claudeSize - (long)(size * 0.25), seed, outDir, threads);
    others.Add((OpenCodeWriter.Source, openTruth, openStats));
}
truth.Write(expectedPath, size, seed, stats, sources, others);
clock.Stop();

double mib = stats.Bytes / (1024.0 * 1024.0);
long calls = truth.Models.Values.Sum(m => m.Calls);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"wrote {stats.Files} files ({stats.SubagentFiles} subagent), {mib:F1} MiB, {stats.Lines} lines, {calls} calls, " +
    $"{stats.BrokenLines} broken lines in {clock.Elapsed.TotalSeconds:F1} s ({mib / clock.Elapsed.TotalSeconds:F0} MiB/s) -> {outDir}"));
foreach (var (source, t, s) in others)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  + {source}: {s.Files} files, {s.Bytes / (1024.0 * 1024.0):F1} MiB, {t.Models.Values.Sum(m => m.Calls)} calls"));
}
return 0;

static long ParseSize(string text)
{
    string t = text.Trim().ToUpperInvariant();
    int end = 0;
    while (end < t.Length && (char.IsDigit(t[end]) || t[end] == '.'))
    {
        end++;
    }
    double number = double.Parse(t[..end], CultureInfo.InvariantCulture);
    long unit = t[end..].TrimEnd('B', 'I') switch
    {
        "" => 1,
        "K" => 1L << 10,
        "M" => 1L << 20,
        "G" => 1L << 30,
        "T" => 1L << 40,
        _ => throw new FormatException($"Cannot read size '{text}'; use e.g. 300MB or 1GB."),
    };
    return (long)(number * unit);
}
