using Tally.Ingest;
using Tally.Model;
using Tally.Sources.Tests.TestSupport;

namespace Tally.Sources.Tests.ClaudeCode;

public sealed class ClaudeCodeCallTests
{
    [Fact]
    public void MultiBlockTurn_RowsOfOneMessage_CollapseToOneCallWithUsageOverwrittenNotSummed()
    {
        var result = ClaudeFixtures.Read("multi-block-turn.jsonl");

        Assert.Equal(["msg_01MultiBlock", "msg_02MultiBlock"], result.Calls.Select(c => c.CallKey));
        var call = result.Calls[0];
        // Four rows each repeat the usage (output 12, 12, 43, 43): the call has 43, not 110.
        Assert.Equal(new TokenUsage(Input: 3, CacheRead: 11496, CacheWrite5m: 0, CacheWrite1h: 4773, Output: 43, Reasoning: null), call.Usage);
        Assert.Equal(StopReason.ToolUse, call.StopReason);
        Assert.Equal("tool_use", call.StopReasonRaw);
        Assert.Equal(KeyKind.MessageId, call.KeyKind);
        Assert.Equal("req_011MultiBlock", call.RequestId);
        Assert.Equal("claude-opus-4-7", call.Model);
        Assert.Equal("anthropic", call.Provider);
        Assert.Equal(SourceNames.ClaudeCode, call.Source);
        Assert.Equal("6f1c2a9e-0001-4c3b-9d2e-000000000001", call.SessionId);
        Assert.Equal("/home/dev/work/api", call.Project);
        Assert.Null(call.ProjectKey); // the directory does not exist on this machine
        Assert.Null(call.Agent);
        Assert.False(call.IsSidechain);
        // The first row's time, in UTC.
        Assert.Equal(new DateTimeOffset(2026, 4, 20, 9, 0, 1, TimeSpan.Zero), call.Timestamp);
        Assert.Equal(TimeSpan.Zero, call.Timestamp.Offset);
        Assert.Empty(result.Skipped);
    }

    [Fact]
    public void MultiBlockTurn_TaskResultUsageInUserRow_IsNotACall()
    {
        var result = ClaudeFixtures.Read("multi-block-turn.jsonl");

        // The Agent result row carries the subagent's totals (input 2000, output 500) in toolUseResult.usage.
        Assert.DoesNotContain(result.Calls, c => c.Usage.Input == 2000 || c.Usage.Output == 500);
        Assert.Equal(new TokenUsage(8, 16269, 120, 0, 5, null), result.Calls[1].Usage);
    }

    [Fact]
    public void StreamedDuplicates_SnapshotsAndBtwReplay_CollapseToTheMostCompleteObservation()
    {
        var result = ClaudeFixtures.Read("streamed-duplicates.jsonl");

        Assert.Equal(["msg_01Stream", "msg_02Stream"], result.Calls.Select(c => c.CallKey));
        var call = result.Calls[0];
        // Snapshots with output 1, 87, 245 (finished) and a late 1: the finished 245 wins and is not replaced.
        Assert.Equal(245, call.Usage.Output);
        Assert.Equal(new TokenUsage(12, 5000, 300, 0, 245, null), call.Usage);
        Assert.Equal(StopReason.EndTurn, call.StopReason);
        Assert.Equal("end_turn", call.StopReasonRaw);
        // The /btw replay reuses the message id under a new request id: same call, first request id kept.
        Assert.Equal("req_A", call.RequestId);
        Assert.True(call.IsSidechain);
        Assert.Equal(new DateTimeOffset(2026, 4, 21, 10, 0, 1, TimeSpan.Zero), call.Timestamp);
        Assert.False(result.Calls[1].IsSidechain);
    }

    [Fact]
    public void MissingUsageFields_AreNullNotZero()
    {
        var calls = ClaudeFixtures.Read("missing-usage-fields.jsonl").Calls.ToDictionary(c => c.CallKey);

        Assert.Equal(new TokenUsage(10, null, null, null, null, null), calls["msg_OnlyInput"].Usage);
        // Reported zeros stay zeros; with no 5m/1h split the 1h bucket is not reported.
        Assert.Equal(new TokenUsage(0, 0, 0, null, 0, null), calls["msg_AllZero"].Usage);
        Assert.Equal(new TokenUsage(null, null, null, null, 5, null), calls["msg_NullInput"].Usage);
        Assert.Equal(TokenUsage.None, calls["msg_EmptyUsage"].Usage);
        Assert.Equal(4, calls.Count);
    }

    [Theory]
    [InlineData("msg_Split", 80L, 20L)]
    [InlineData("msg_ZeroSplitFlatCount", 500L, 0L)]
    [InlineData("msg_NoSplit", 300L, null)]
    [InlineData("msg_ZeroEverywhere", 0L, 0L)]
    [InlineData("msg_EmptySplit", 70L, null)]
    [InlineData("msg_OneHourOnly", 0L, 4773L)]
    public void CacheSplit_MapsCacheWritesToTheRightBuckets(string messageId, long? expected5m, long? expected1h)
    {
        var call = ClaudeFixtures.Read("cache-split.jsonl").Calls.Single(c => c.CallKey == messageId);

        Assert.Equal(expected5m, call.Usage.CacheWrite5m);
        Assert.Equal(expected1h, call.Usage.CacheWrite1h);
        Assert.Equal(10, call.Usage.Input);
        Assert.Null(call.Usage.Reasoning);
    }

    [Fact]
    public void ProgressRows_AndTaskResultUsage_AreNotCounted()
    {
        var result = ClaudeFixtures.Read("progress-and-task-result.jsonl");

        // Progress rows mirror the running subagent's msg_SubInProgress; only its own transcript counts.
        Assert.Equal(["msg_Main1", "msg_Main2"], result.Calls.Select(c => c.CallKey));
        Assert.Equal(new TokenUsage(20, 8000, 200, 0, 30, null), result.Calls[0].Usage);
        Assert.Equal(new TokenUsage(15, 8200, 60, 0, 8, null), result.Calls[1].Usage);
        // The subagent's tool use seen only inside a progress row is not recorded either.
        Assert.DoesNotContain(result.ToolResults, t => t.ToolUseId == "toolu_sub_grep");
        Assert.Empty(result.Skipped);
    }

    [Fact]
    public void ResumedSession_ReplayedHistory_KeepsTheOriginalKeys()
    {
        var original = ClaudeFixtures.Read("resumed-session-original.jsonl");
        var continued = ClaudeFixtures.Read("resumed-session-continued.jsonl");

        Assert.Equal(["msg_Original1", "msg_Original2"], original.Calls.Select(c => c.CallKey));
        Assert.Equal(["msg_Original1", "msg_Original2", "msg_Continued1"], continued.Calls.Select(c => c.CallKey));
        // Same keys, same usage: the ledger's upsert on (source, key) counts the replay once.
        Assert.Equal(original.Calls[0].Usage, continued.Calls[0].Usage);
        Assert.Equal(original.Calls[1].Usage, continued.Calls[1].Usage);
    }

    [Fact]
    public void SubagentTranscript_AndSidechainRowsInTheMainFile_ShareTheCallKey()
    {
        var directory = ClaudeFixtures.PathOf("subagent/projects/-home-dev-work-api");
        var main = ClaudeFixtures.ReadFile(Path.Combine(directory, "7d3e5b10-0009-4c3b-9d2e-000000000009.jsonl"));
        var subagent = ClaudeFixtures.ReadFile(Path.Combine(directory, "7d3e5b10-0009-4c3b-9d2e-000000000009", "subagents", "agent-a1b2c3.jsonl"));

        var inMain = main.Calls.Single(c => c.IsSidechain);
        var inSubagent = Assert.Single(subagent.Calls);
        Assert.Equal(inMain.CallKey, inSubagent.CallKey);
        Assert.Equal("msg_Sub1", inSubagent.CallKey);
        Assert.Equal(inMain.Usage, inSubagent.Usage);
        Assert.Equal(new TokenUsage(300, 0, 1200, 0, 25, null), inSubagent.Usage);
        Assert.Equal("a1b2c3", inSubagent.Agent);
        Assert.True(inSubagent.IsSidechain);
        Assert.Equal("7d3e5b10-0009-4c3b-9d2e-000000000009", inSubagent.SessionId);
        Assert.Equal("claude-haiku-4-5", inSubagent.Model);
        // Legacy sidechain rows in the main file carry no agent id.
        Assert.Null(inMain.Agent);
        Assert.Equal(["msg_Parent1", "msg_Sub1", "msg_Parent2"], main.Calls.Select(c => c.CallKey));
    }

    [Fact]
    public void SubagentFile_WithoutIdsInItsRows_TakesSessionAndAgentFromItsPath()
    {
        using var directory = new TestDirectory();
        var path = directory.WriteFile(
            "projects/-tmp-x/0b7d1f4c-aaaa-bbbb-cccc-000000000001/subagents/agent-f00d.jsonl",
            """
            {"parentUuid":null,"isSidechain":true,"message":{"model":"claude-haiku-4-5","id":"msg_NoIds","type":"message","role":"assistant","content":[],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":2}},"type":"assistant","uuid":"a-1","timestamp":"2026-05-01T00:00:00Z"}

            """);

        var call = Assert.Single(ClaudeFixtures.ReadFile(path).Calls);

        Assert.Equal("0b7d1f4c-aaaa-bbbb-cccc-000000000001", call.SessionId);
        Assert.Equal("f00d", call.Agent);
        Assert.Null(call.Project);
    }

    [Fact]
    public void MainFile_WithoutSessionIdInItsRows_UsesTheFileStem()
    {
        using var directory = new TestDirectory();
        var path = directory.WriteFile(
            "projects/-tmp-x/0b7d1f4c-aaaa-bbbb-cccc-000000000002.jsonl",
            """
            {"message":{"model":"claude-sonnet-4-6","id":"msg_Stem","content":[],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":2}},"type":"assistant","uuid":"a-1","timestamp":"2026-05-01T00:00:00+02:00"}

            """);

        var call = Assert.Single(ClaudeFixtures.ReadFile(path).Calls);

        Assert.Equal("0b7d1f4c-aaaa-bbbb-cccc-000000000002", call.SessionId);
        Assert.Null(call.Agent);
        Assert.Equal(new DateTimeOffset(2026, 4, 30, 22, 0, 0, TimeSpan.Zero), call.Timestamp);
        Assert.Equal(TimeSpan.Zero, call.Timestamp.Offset);
    }

    [Fact]
    public void SyntheticModelRows_AreNotCalls_AndRowsWithoutMessageIdAreKeyedByUuid()
    {
        using var directory = new TestDirectory();
        var path = directory.WriteFile(
            "s.jsonl",
            """
            {"message":{"model":"<synthetic>","id":"msg_Synthetic","content":[{"type":"text","text":"API Error: 529"}],"stop_reason":"stop_sequence","usage":{"input_tokens":0,"output_tokens":0}},"type":"assistant","uuid":"a-1","timestamp":"2026-05-01T00:00:00Z","isApiErrorMessage":true}
            {"message":{"model":"claude-sonnet-4-6","content":[],"stop_reason":"end_turn","usage":{"input_tokens":4,"output_tokens":2}},"type":"assistant","uuid":"a-2","timestamp":"2026-05-01T00:00:01Z"}
            {"message":{"model":"claude-sonnet-4-6","id":null,"content":[],"stop_reason":"end_turn","usage":{"input_tokens":4,"output_tokens":2}},"type":"assistant","timestamp":"2026-05-01T00:00:02Z"}
            {"message":{"id":"msg_NoModel","content":[],"stop_reason":"end_turn","usage":{"input_tokens":4,"output_tokens":2}},"type":"assistant","uuid":"a-4","timestamp":"2026-05-01T00:00:03Z"}
            {"message":{"model":"claude-sonnet-4-6","id":"msg_NoTime","content":[],"stop_reason":"end_turn","usage":{"input_tokens":4,"output_tokens":2}},"type":"assistant","uuid":"a-5","timestamp":"yesterday"}
            {"message":{"model":"claude-sonnet-4-6","id":"msg_Unusual","content":[],"stop_reason":"model_context_window_exceeded","usage":{"input_tokens":4,"output_tokens":2}},"type":"assistant","uuid":"a-6","timestamp":"2026-05-01T00:00:05Z"}
            {"message":{"model":"claude-sonnet-4-6","id":"msg_Refused","content":[],"stop_reason":"refusal","usage":{"input_tokens":4,"output_tokens":2}},"type":"assistant","uuid":"a-7","timestamp":"2026-05-01T00:00:06Z","costUSD":0.0123}

            """);

        var result = ClaudeFixtures.ReadFile(path);

        Assert.Equal(["a-2", "msg_Unusual", "msg_Refused"], result.Calls.Select(c => c.CallKey));
        Assert.Equal(KeyKind.Derived, result.Calls[0].KeyKind);
        Assert.Equal(StopReason.MaxTokens, result.Calls[1].StopReason);
        Assert.Equal("model_context_window_exceeded", result.Calls[1].StopReasonRaw);
        Assert.Equal(StopReason.Refusal, result.Calls[2].StopReason);
        Assert.Equal(0.0123m, result.Calls[2].ReportedCost);
        Assert.Null(result.Calls[1].ReportedCost);
        Assert.Equal(
            [(3L, "assistant row has neither message.id nor uuid"), (4L, "assistant row has no message.model"), (5L, "assistant row has no valid timestamp")],
            result.Skipped.Select(s => (s.Line, s.Reason)));
    }

    [Fact]
    public void Read_IsSafeOnManyFilesAtOnce()
    {
        var source = ClaudeFixtures.Source();
        var names = new[] { "multi-block-turn.jsonl", "streamed-duplicates.jsonl", "tool-results.jsonl", "cache-split.jsonl" };
        var expected = names.Select(n => ClaudeFixtures.Read(n).Calls.Count).ToArray();

        var counts = Enumerable.Range(0, 64).AsParallel()
            .Select(i => source.Read(LogFile.From(new FileInfo(ClaudeFixtures.PathOf(names[i % names.Length]))), ReadStart.Beginning).Calls.Count)
            .ToArray();

        Assert.All(counts.Select((count, i) => (count, i)), x => Assert.Equal(expected[x.i % names.Length], x.count));
    }
}
