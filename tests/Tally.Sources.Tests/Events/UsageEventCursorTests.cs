using System.Text;
using Tally.Ingest;
using Tally.Projects;
using Tally.Sources.Events;
using Tally.Sources.Tests.TestSupport;

namespace Tally.Sources.Tests.Events;

public sealed class UsageEventCursorTests
{
    private const string Event1 = """{"schema":"tally.llm_call/1","id":"e1","timestamp":"2026-05-14T10:00:00Z","model":"m","tokens":{"output":1}}""";
    private const string Event2 = """{"schema":"tally.llm_call/1","id":"e2","timestamp":"2026-05-14T10:01:00Z","model":"m","tokens":{"output":2}}""";
    private const string Event3 = """{"schema":"tally.llm_call/1","id":"e3","timestamp":"2026-05-14T10:02:00Z","model":"m","tokens":{"output":3}}""";
    private const string NoModel = """{"schema":"tally.llm_call/1","id":"bad","timestamp":"2026-05-14T10:03:00Z"}""";

    [Fact]
    public void ReadingAgainFromTheCursor_ReadsNothing()
    {
        var path = EventFixtures.PathOf("bad-lines.jsonl");
        var first = EventFixtures.ReadFile(path);

        var second = EventFixtures.ReadFile(path, first.Next);

        Assert.Empty(second.Calls);
        Assert.Empty(second.Skipped);
        Assert.Equal(first.Next, second.Next);
    }

    [Fact]
    public void Resume_FromAnOffset_ContinuesLineNumbers()
    {
        var path = EventFixtures.PathOf("bad-lines.jsonl");
        var start = new ReadStart(ClaudeFixtures.OffsetOfLine(path, 21), 20, null);

        var result = EventFixtures.ReadFile(path, start);

        Assert.Equal([21L, 22L, 23L, 24L, 27L, 28L], result.Skipped.Select(s => s.Line));
        Assert.Equal(2, result.Calls.Count);
        Assert.Equal("ok-2", result.Calls[1].CallKey);
    }

    [Fact]
    public void AppendedLines_AreReadFromTheCursor()
    {
        using var dir = new TestDirectory();
        var path = dir.WriteFile("grow.jsonl", Event1 + "\n");
        var first = EventFixtures.ReadFile(path);
        File.AppendAllText(path, NoModel + "\n" + Event2 + "\n");

        var second = EventFixtures.ReadFile(path, first.Next);

        Assert.Equal(["e1"], first.Calls.Select(c => c.CallKey));
        Assert.Equal(["e2"], second.Calls.Select(c => c.CallKey));
        Assert.Equal([(2L, "missing model")], second.Skipped.Select(s => (s.Line, s.Reason)));
        Assert.Equal(new ReadStart(new FileInfo(path).Length, 3, null), second.Next);
    }

    [Fact]
    public void UnfinishedLastLine_IsNeitherReadNorReported_UntilItIsComplete()
    {
        using var dir = new TestDirectory();
        var path = dir.WriteFile("streaming.jsonl", Event1 + "\n" + Event2[..40]);

        var first = EventFixtures.ReadFile(path);

        Assert.Equal(["e1"], first.Calls.Select(c => c.CallKey));
        Assert.Empty(first.Skipped);
        Assert.Equal(new ReadStart(Encoding.UTF8.GetByteCount(Event1) + 1, 1, null), first.Next);

        File.AppendAllText(path, Event2[40..] + "\n");
        var second = EventFixtures.ReadFile(path, first.Next);

        Assert.Equal(["e2"], second.Calls.Select(c => c.CallKey));
        Assert.Empty(second.Skipped);
        Assert.Equal(new ReadStart(new FileInfo(path).Length, 2, null), second.Next);
    }

    [Fact]
    public void CompleteLastLineWithoutNewline_IsRead_AndItsLaterNewlineIsNotALine()
    {
        using var dir = new TestDirectory();
        var path = dir.WriteFile("no-final-newline.jsonl", Event1 + "\n" + Event2);

        var first = EventFixtures.ReadFile(path);

        Assert.Equal(["e1", "e2"], first.Calls.Select(c => c.CallKey));
        Assert.Equal(new ReadStart(new FileInfo(path).Length, 2, null), first.Next);

        File.AppendAllText(path, "\n" + NoModel + "\n" + Event3);
        var second = EventFixtures.ReadFile(path, first.Next);

        Assert.Equal(["e3"], second.Calls.Select(c => c.CallKey));
        Assert.Equal([(3L, "missing model")], second.Skipped.Select(s => (s.Line, s.Reason)));
        Assert.Equal(new ReadStart(new FileInfo(path).Length, 4, null), second.Next);
    }

    [Fact]
    public void ByteOrderMark_CrLfAndBlankLines_AreTolerated()
    {
        using var dir = new TestDirectory();
        var path = Path.Combine(dir.Path, "windows.jsonl");
        File.WriteAllText(path, Event1 + "\r\n\r\n  \r\n" + Event2 + "\r\n", new UTF8Encoding(encoderShouldEmitUTF8Identifier: true));

        var result = EventFixtures.ReadFile(path);

        Assert.Equal(["e1", "e2"], result.Calls.Select(c => c.CallKey));
        Assert.Empty(result.Skipped);
        Assert.Equal(4, result.Next.Line);
    }

    [Fact]
    public void ASmallChunk_GivesTheSameResultAsALargeOne()
    {
        var path = EventFixtures.PathOf("bad-lines.jsonl");
        var file = LogFile.From(new FileInfo(path));

        var small = UsageEventReader.Read(file, ReadStart.Beginning, new ProjectKeyResolver(), chunkSize: 16);
        var large = UsageEventReader.Read(file, ReadStart.Beginning, new ProjectKeyResolver());

        Assert.Equal(large.Calls, small.Calls);
        Assert.Equal(large.Skipped, small.Skipped);
        Assert.Equal(large.Next, small.Next);
    }
}
