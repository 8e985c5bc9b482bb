using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Tally.Ingest;
using Tally.Model;

namespace Tally.Core.Tests.TestDoubles;

/// <summary>
/// A source over a folder of <c>*.log</c> files whose lines are <c>key tokens</c>; a line
/// <c>bad</c> is malformed. It records where each read started.
/// </summary>
internal sealed class TestSource(string folder) : IUsageSource
{
    public ConcurrentBag<(string Path, ReadStart Start)> Reads { get; } = [];

    public string Name => "test";

    public SourceDiscovery Discover() => new(
        [folder],
        Directory.EnumerateFiles(folder, "*.log").Order(StringComparer.Ordinal).Select(p => LogFile.From(new FileInfo(p))).ToList());

    public FileReadResult Read(LogFile file, ReadStart start)
    {
        Reads.Add((file.Path, start));
        var bytes = File.ReadAllBytes(file.Path);
        var offset = (int)start.Offset;
        var line = start.Line;
        var calls = new List<LlmCall>();
        var skipped = new List<SkippedLine>();
        while (true)
        {
            var end = Array.IndexOf(bytes, (byte)'\n', offset);
            if (end < 0)
            {
                break;
            }

            line++;
            var text = Encoding.UTF8.GetString(bytes, offset, end - offset);
            offset = end + 1;
            var parts = text.Split(' ');
            if (parts.Length != 2 || !long.TryParse(parts[1], CultureInfo.InvariantCulture, out var tokens))
            {
                skipped.Add(new SkippedLine(file.Path, line, "not a test line"));
                continue;
            }

            calls.Add(new LlmCall
            {
                Source = Name,
                CallKey = parts[0],
                SessionId = Path.GetFileNameWithoutExtension(file.Path),
                Timestamp = DateTimeOffset.UnixEpoch,
                Model = "test-model",
                Usage = new TokenUsage(tokens, null, null, null, 1, null),
                StopReason = StopReason.EndTurn,
            });
        }

        var result = new FileReadResult { Next = new ReadStart(offset, line, null) };
        result.Calls.AddRange(calls);
        result.Skipped.AddRange(skipped);
        return result;
    }
}
