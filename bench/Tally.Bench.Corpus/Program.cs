using System.Diagnostics;
using System.Globalization;
using Tally.Bench.Corpus;

// Writes DIR/.claude/projects/<encoded-cwd>/<session>.jsonl (DIR acts as a HOME) and
// DIR/expected.json, the ground truth a benchmark run checks totals against.

const string Marker = ".tally-bench-corpus";
const string Usage = "usage: tally-bench-corpus --out DIR [--size 1GB] [--seed N] [--threads N]";

string? outDir = null;
long size = 1L << 30;
ulong seed = 1;
int threads = Environment.ProcessorCount;
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
// DIR stands in for a HOME: never wipe a .claude folder this tool did not write.
if (Directory.Exists(claudeDir))
{
    if (!File.Exists(Path.Combine(outDir, Marker)))
    {
        Console.Error.WriteLine($"{claudeDir} exists and was not written by this generator; choose an empty --out directory.");
        return 2;
    }
    Directory.Delete(claudeDir, recursive: true);
}
Directory.CreateDirectory(outDir);
File.Delete(expectedPath);
File.WriteAllText(Path.Combine(outDir, Marker), "Written by bench/Tally.Bench.Corpus; safe to delete.\n");
string projectsDir = Path.Combine(claudeDir, "projects");
Directory.CreateDirectory(projectsDir);

var clock = Stopwatch.StartNew();
var pools = new TextPools(seed);
var plan = CorpusPlan.Build(size, seed);
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
truth.Write(expectedPath, size, seed, stats);
clock.Stop();

double mib = stats.Bytes / (1024.0 * 1024.0);
long calls = truth.Models.Values.Sum(m => m.Calls);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"wrote {stats.Files} files ({stats.SubagentFiles} subagent), {mib:F1} MiB, {stats.Lines} lines, {calls} calls, " +
    $"{stats.BrokenLines} broken lines in {clock.Elapsed.TotalSeconds:F1} s ({mib / clock.Elapsed.TotalSeconds:F0} MiB/s) -> {outDir}"));
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
