using Tally.Ingest;

namespace Tally.Sources.Tests.Codex;

public sealed class CodexCursorTests
{
    /// <summary>The byte offset where 1-based line <paramref name="lineNumber"/> starts.</summary>
    internal static long OffsetOfLine(string path, int lineNumber)
    {
        var bytes = File.ReadAllBytes(path);
        var line = 1;
        for (var i = 0; i < bytes.Length && line < lineNumber; i++)
        {
            if (bytes[i] == (byte)'\n' && ++line == lineNumber)
            {
                return i + 1;
            }
        }

        return lineNumber == 1 ? 0 : throw new ArgumentOutOfRangeException(nameof(lineNumber));
    }

    /// <summary>A copy of the file's first <paramref name="length"/> bytes: the file as it was while being written.</summary>
    internal static LogFile Truncated(string path, long length, out string copy)
    {
        copy = Path.Combine(Path.GetTempPath(), "tally-codex-" + Guid.NewGuid().ToString("N") + ".jsonl");
        File.WriteAllBytes(copy, File.ReadAllBytes(path)[..(int)length]);
        return LogFile.From(new FileInfo(copy));
    }

    [Fact]
    public void MalformedLines_AreReportedWithLineNumbersAndNeverStopTheRead()
    {
        var path = CodexFixtures.PathOf("malformed-lines.jsonl");

        var result = CodexFixtures.ReadFile(path);

        Assert.Equal(
        [
            (3L, "not a complete JSON object (truncated or garbled line)"),
            (4L, "not a complete JSON object (truncated or garbled line)"),
            (5L, "info.total_token_usage.input_tokens is negative"),
            (6L, "info.total_token_usage.input_tokens is not a number"),
            (8L, "token_count info is not an object"),
            (9L, "token_count has no valid timestamp"),
            (10L, "not a complete JSON object (truncated or garbled line)"),
        ], result.Skipped.Select(s => (s.Line, s.Reason)));
        Assert.All(result.Skipped, s => Assert.Equal(path, s.Path));
        Assert.Equal(
            ["2025-10-05T10:00:04.000Z|100|0|10|", "2025-10-05T10:00:08.000Z|300|50|40|"],
            result.Calls.Select(c => c.CallKey));
        // The line without a timestamp still moved the baseline: the next call is measured from it.
        Assert.Equal(new Tally.Model.TokenUsage(100, 50, null, null, 20, null), result.Calls[1].Usage);
        Assert.Equal(new FileInfo(path).Length, result.Next.Offset);
        Assert.Equal(11, result.Next.Line);
    }

    [Fact]
    public void PartialLastLine_IsLeftForTheNextRead()
    {
        var path = CodexFixtures.PathOf("multi-turn-cumulative.jsonl");
        var lineFive = OffsetOfLine(path, 5);
        var file = Truncated(path, lineFive + 20, out var copy);
        try
        {
            var result = CodexFixtures.Source().Read(file, ReadStart.Beginning);

            Assert.Equal(lineFive, result.Next.Offset);
            Assert.Equal(4, result.Next.Line);
            Assert.Single(result.Calls);
            Assert.Empty(result.Skipped);
        }
        finally
        {
            File.Delete(copy);
        }
    }

    [Theory]
    [InlineData("multi-turn-cumulative.jsonl")]
    [InlineData("counter-reset.jsonl")]
    [InlineData("tool-calls.jsonl")]
    [InlineData("fork-child-restamped.jsonl")]
    [InlineData("fork-child-preserved.jsonl")]
    public void ResumingAtEveryLine_WithTheState_GivesTheSameCallsAsOneRead(string fixture)
    {
        var path = CodexFixtures.PathOf(fixture);
        var whole = CodexFixtures.ReadFile(path);
        var lines = File.ReadAllLines(path).Length;

        for (var split = 2; split <= lines; split++)
        {
            var offset = OffsetOfLine(path, split);
            var head = CodexFixtures.Source().Read(Truncated(path, offset, out var copy), ReadStart.Beginning);
            File.Delete(copy);
            Assert.Equal(new ReadStart(offset, split - 1, head.Next.State), head.Next);

            var rest = CodexFixtures.ReadFile(path, head.Next);

            Assert.Equal(
                whole.Calls.Select(c => (c.CallKey, c.SessionId, c.Model, c.Usage, c.Project)),
                head.Calls.Concat(rest.Calls).Select(c => (c.CallKey, c.SessionId, c.Model, c.Usage, c.Project)));
            Assert.Equal(whole.Next with { State = null }, rest.Next with { State = null });
        }
    }

    [Fact]
    public void ResumingWithoutState_ReadsFromTheBeginning()
    {
        var path = CodexFixtures.PathOf("multi-turn-cumulative.jsonl");

        var result = CodexFixtures.ReadFile(path, new ReadStart(OffsetOfLine(path, 6), 5, null));

        Assert.Equal(3, result.Calls.Count);
        Assert.Equal(CodexFixtures.ReadFile(path).Calls.Select(c => c.Usage), result.Calls.Select(c => c.Usage));
    }

    [Fact]
    public void State_IsCompactJson()
    {
        var result = CodexFixtures.Read("multi-turn-cumulative.jsonl");

        Assert.Equal(
            "{\"v\":1,\"b\":[4500,2300,400,80],\"m\":\"gpt-5-codex\",\"s\":\"0199a000-0000-7000-8000-000000000002\","
            + "\"ms\":\"0199a000-0000-7000-8000-000000000002\",\"cwd\":\"/work/demo\",\"tcwd\":\"/work/demo\","
            + "\"ro\":true,\"st\":\"2025-10-02T09:00:00+00:00\",\"bl\":\"2025-10-02T09:00:00.02+00:00\"}",
            result.Next.State);
    }
}
