using Tally.Ingest;
using Tally.Model;
using Tally.Projects;
using Tally.Sources.ClaudeCode;
using Tally.Sources.Tests.TestSupport;

namespace Tally.Sources.Tests.ClaudeCode;

public sealed class ClaudeCodeCursorTests
{
    [Fact]
    public void MalformedLines_AreReportedWithLineNumbersAndNeverStopTheRead()
    {
        var path = ClaudeFixtures.PathOf("malformed-lines.jsonl");

        var result = ClaudeFixtures.ReadFile(path);

        Assert.Equal(
        [
            (3L, "not a complete JSON object (truncated or garbled line)"),
            (4L, "not a complete JSON object (truncated or garbled line)"),
            (5L, "usage.output_tokens is negative"),
            (6L, "usage.input_tokens is not a whole number"),
            (7L, "usage.output_tokens is not a number"),
            (9L, "not a complete JSON object (truncated or garbled line)"),
            (10L, "not valid JSON"),
            (12L, "message.usage is not an object"),
            (13L, "not a complete JSON object (truncated or garbled line)"),
        ], result.Skipped.Select(s => (s.Line, s.Reason)));
        Assert.All(result.Skipped, s => Assert.Equal(path, s.Path));
        Assert.Equal(["msg_Ok1", "msg_Ok2"], result.Calls.Select(c => c.CallKey));
        Assert.Equal(new ReadStart(new FileInfo(path).Length, 13, null), result.Next);
    }

    [Fact]
    public void Resume_FromAnOffset_ContinuesLineNumbers()
    {
        var path = ClaudeFixtures.PathOf("malformed-lines.jsonl");
        var start = new ReadStart(ClaudeFixtures.OffsetOfLine(path, 6), 5, null);

        var result = ClaudeFixtures.ReadFile(path, start);

        Assert.Equal([6L, 7L, 9L, 10L, 12L, 13L], result.Skipped.Select(s => s.Line));
        Assert.Equal(["msg_Ok2"], result.Calls.Select(c => c.CallKey));
        Assert.Equal(13, result.Next.Line);
    }

    [Fact]
    public void StillStreaming_LastCallWithoutStopReason_HoldsTheCursorAtItsFirstRow()
    {
        var path = ClaudeFixtures.PathOf("still-streaming.jsonl");

        var result = ClaudeFixtures.ReadFile(path);

        // The partial call is returned now (the ledger keeps the more complete one later)…
        Assert.Equal(["msg_Done", "msg_Live"], result.Calls.Select(c => c.CallKey));
        var live = result.Calls[1];
        Assert.Equal(StopReason.Unknown, live.StopReason);
        Assert.Null(live.StopReasonRaw);
        Assert.Equal(30, live.Usage.Output);
        // …and the next read starts again at its first row (line 4).
        Assert.Equal(new ReadStart(ClaudeFixtures.OffsetOfLine(path, 4), 3, null), result.Next);
    }

    [Fact]
    public void UnfinishedTail_OfAFileNotWrittenForLong_DoesNotHoldTheCursor()
    {
        // A session killed mid-response (or written by Claude Code 1.x, which left every stop
        // reason null) will never finish its last call: waiting would re-read it on every run.
        var path = ClaudeFixtures.PathOf("still-streaming.jsonl");

        var result = ClaudeFixtures.Source().Read(ClaudeFixtures.Finished(path), ReadStart.Beginning);

        Assert.Equal(["msg_Done", "msg_Live"], result.Calls.Select(c => c.CallKey));
        Assert.Equal(new ReadStart(new FileInfo(path).Length, 5, null), result.Next);
    }

    [Fact]
    public void StillStreaming_ReadAgainAfterItFinished_GivesTheCompleteCall()
    {
        using var directory = new TestDirectory();
        var path = Path.Combine(directory.Path, "live.jsonl");
        File.Copy(ClaudeFixtures.PathOf("still-streaming.jsonl"), path);
        var source = ClaudeFixtures.Source();
        var first = source.Read(ClaudeFixtures.Live(path), ReadStart.Beginning);

        File.AppendAllText(path, """
            {"parentUuid":"a-3","isSidechain":false,"message":{"model":"claude-sonnet-4-6","id":"msg_Live","type":"message","role":"assistant","content":[{"type":"text","text":"Done."}],"stop_reason":"end_turn","usage":{"input_tokens":7,"output_tokens":412}},"requestId":"req_2","type":"assistant","uuid":"a-4","timestamp":"2026-04-24T08:00:09.000Z","sessionId":"6f1c2a9e-0005-4c3b-9d2e-000000000005"}

            """);
        var second = source.Read(ClaudeFixtures.Live(path), first.Next);

        var call = Assert.Single(second.Calls);
        Assert.Equal("msg_Live", call.CallKey);
        Assert.Equal(StopReason.EndTurn, call.StopReason);
        Assert.Equal(412, call.Usage.Output);
        Assert.Equal(new DateTimeOffset(2026, 4, 24, 8, 0, 6, TimeSpan.Zero), call.Timestamp); // still its first row's time
        Assert.True(call.Completeness > first.Calls[1].Completeness);
        Assert.Equal(new ReadStart(new FileInfo(path).Length, 6, null), second.Next);
    }

    [Fact]
    public void CallWithoutStopReason_FollowedByAnotherRow_DoesNotHoldTheCursor()
    {
        using var directory = new TestDirectory();
        var path = directory.WriteFile("followed.jsonl", """
            {"sessionId":"s","message":{"model":"m","id":"msg_A","content":[],"stop_reason":null,"usage":{"input_tokens":1,"output_tokens":1}},"type":"assistant","uuid":"a-1","timestamp":"2026-05-01T00:00:00Z"}
            {"parentUuid":"a-1","sessionId":"s","type":"user","message":{"role":"user","content":"next"},"uuid":"u-1","timestamp":"2026-05-01T00:00:01Z"}

            """);

        var result = ClaudeFixtures.ReadFile(path);

        Assert.Equal(StopReason.Unknown, Assert.Single(result.Calls).StopReason);
        Assert.Equal(new ReadStart(new FileInfo(path).Length, 2, null), result.Next);
    }

    [Fact]
    public void FinalLineWithoutNewline_IsNotConsumed()
    {
        using var directory = new TestDirectory();
        const string complete = """{"sessionId":"s","message":{"model":"m","id":"msg_A","content":[],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":1}},"type":"assistant","uuid":"a-1","timestamp":"2026-05-01T00:00:00Z"}""";
        const string partial = """{"sessionId":"s","message":{"model":"m","id":"msg_B","content":[],"stop_reason":"end_turn","usage":{"input_tok""";
        var path = directory.WriteFile("partial.jsonl", complete + "\n" + partial);

        var result = ClaudeFixtures.ReadFile(path);

        Assert.Equal(["msg_A"], result.Calls.Select(c => c.CallKey));
        Assert.Empty(result.Skipped); // a line still being written is not malformed
        Assert.Equal(new ReadStart(complete.Length + 1, 1, null), result.Next);
    }

    [Fact]
    public void SkippedLines_AfterTheHeldCursor_AreReportedOnlyOnceTheCursorPassesThem()
    {
        using var directory = new TestDirectory();
        var path = directory.WriteFile("held.jsonl", """
            {"sessionId":"s","message":{"model":"m","id":"msg_A","content":[],"stop_reason":null,"usage":{"input_tokens":1,"output_tokens":1}},"type":"assistant","uuid":"a-1","timestamp":"2026-05-01T00:00:00Z"}
            {"sessionId":"s","message":{"model":"m","id":"msg_A","content":[],"stop_reason":null,"usage":{"input_tokens":-1,"output_tokens":1}},"type":"assistant","uuid":"a-2","timestamp":"2026-05-01T00:00:01Z"}
            {"sessionId":"s","message":{"model":"m","id":"msg_A","content":[],"stop_reason":null,"usage":{"input_tokens":1,"output_tokens":2}},"type":"assistant","uuid":"a-3","timestamp":"2026-05-01T00:00:02Z"}

            """);

        var result = ClaudeFixtures.ReadFile(path);

        Assert.Equal(new ReadStart(0, 0, null), result.Next);
        Assert.Empty(result.Skipped);
    }

    [Fact]
    public void LongLines_BeyondTheChunkSize_AreReadWhole()
    {
        using var directory = new TestDirectory();
        var text = new string('y', 3 << 20); // three chunks long
        var path = directory.WriteFile("long.jsonl",
            "{\"parentUuid\":\"a-1\",\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"tu_long\",\"content\":\"" + text + "\"}]},\"uuid\":\"u-2\",\"timestamp\":\"2026-04-20T00:00:02.000Z\",\"sessionId\":\"s\"}\n"
            + """{"sessionId":"s","parentUuid":"u-2","message":{"model":"m","id":"msg_After","content":[],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":1}},"type":"assistant","uuid":"a-1","timestamp":"2026-05-01T00:00:00Z"}""" + "\n");

        var result = ClaudeFixtures.ReadFile(path);

        Assert.Equal(3 << 20, Assert.Single(result.ToolResults).OutputBytes);
        Assert.Equal("msg_After", result.ToolResults[0].ConsumerCallKey);
        Assert.Equal(["msg_After"], result.Calls.Select(c => c.CallKey));
        Assert.Equal(2, result.Next.Line);
    }

    [Theory]
    [InlineData("multi-block-turn.jsonl")]
    [InlineData("malformed-lines.jsonl")]
    [InlineData("tool-results.jsonl")]
    [InlineData("still-streaming.jsonl")]
    public void TinyChunks_GiveTheSameResultAsLargeOnes(string fixture)
    {
        // Every line straddles chunk boundaries and the buffer grows many times.
        var file = ClaudeFixtures.Live(ClaudeFixtures.PathOf(fixture));
        var now = DateTimeOffset.UtcNow;

        var large = ClaudeTranscriptReader.Read(file, ReadStart.Beginning, new ProjectKeyResolver(), now);
        var tiny = ClaudeTranscriptReader.Read(file, ReadStart.Beginning, new ProjectKeyResolver(), now, chunkSize: 16);

        Assert.Equal(large.Calls, tiny.Calls);
        Assert.Equal(large.ToolResults, tiny.ToolResults);
        Assert.Equal(large.Skipped, tiny.Skipped);
        Assert.Equal(large.Next, tiny.Next);
        Assert.NotEmpty(large.Calls);
    }

    [Fact]
    public void OffsetAtTheEnd_ReadsNothingAndKeepsTheCursor()
    {
        var path = ClaudeFixtures.PathOf("cache-split.jsonl");
        var end = new ReadStart(new FileInfo(path).Length, 6, null);

        var result = ClaudeFixtures.ReadFile(path, end);

        Assert.Empty(result.Calls);
        Assert.Equal(end, result.Next);
    }

    [Fact]
    public void CarriageReturnsAndByteOrderMark_AreTolerated()
    {
        using var directory = new TestDirectory();
        var path = Path.Combine(directory.Path, "crlf.jsonl");
        File.WriteAllText(path,
            "\uFEFF{\"sessionId\":\"s\",\"message\":{\"model\":\"m\",\"id\":\"msg_A\",\"content\":[],\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":1,\"output_tokens\":1}},\"type\":\"assistant\",\"uuid\":\"a-1\",\"timestamp\":\"2026-05-01T00:00:00Z\"}\r\n\r\n",
            new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false));

        var result = ClaudeFixtures.ReadFile(path);

        Assert.Equal(["msg_A"], result.Calls.Select(c => c.CallKey));
        Assert.Empty(result.Skipped);
        Assert.Equal(2, result.Next.Line);
    }
}
