using Tally.Ingest;
using Tally.Model;

namespace Tally.Sources.Tests.OpenCode;

public sealed class OpenCodeStorageTests
{
    [Fact]
    public void AssistantMessage_BecomesOneCall_WithDisjointBucketsReasoningInOutputAndExactCost()
    {
        var result = OpenCodeFixtures.ReadMessage("ses_main", "msg_a1");

        var call = Assert.Single(result.Calls);
        Assert.Equal(new LlmCall
        {
            Source = "opencode",
            CallKey = "msg_a1",
            KeyKind = KeyKind.MessageId,
            SessionId = "ses_main",
            Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(1776988805500), // time.completed
            Model = "claude-sonnet-4-5",
            Provider = "anthropic",
            // input is already net of cache; reasoning (60) is outside output (340) in OpenCode, billed as output.
            Usage = new TokenUsage(Input: 12, CacheRead: 9000, CacheWrite5m: 1500, CacheWrite1h: null, Output: 400, Reasoning: 60),
            StopReason = StopReason.ToolUse,
            StopReasonRaw = "tool-calls",
            Project = "/tmp/tally-oc-project/src", // path.cwd wins over the session's directory
            ProjectKey = null,
            Agent = null,
            IsSidechain = false,
            DurationMs = 3500,
            ReportedCost = 0.0123456789012345678m,
        }, call);
        Assert.Empty(result.Skipped);
        Assert.Equal(ReadStart.Beginning, result.Next); // a message file is read whole every time
    }

    [Fact]
    public void ZeroCostWithTokens_IsUnknown_MissingCountsStayNull_AndStopReasonComesFromStepFinish()
    {
        var call = Assert.Single(OpenCodeFixtures.ReadMessage("ses_main", "msg_a2").Calls);

        Assert.Null(call.ReportedCost); // "cost": 0 beside 120 tokens is no price, not a free call
        Assert.Equal(new TokenUsage(Input: 100, CacheRead: 0, CacheWrite5m: null, CacheWrite1h: null, Output: 20, Reasoning: null), call.Usage);
        Assert.Equal(StopReason.EndTurn, call.StopReason);
        Assert.Equal("stop", call.StopReasonRaw);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1776988820000), call.Timestamp); // no time.completed
        Assert.Null(call.DurationMs);
        Assert.Equal("/tmp/tally-oc-project", call.Project); // no path: the session's directory
        Assert.Equal("gpt-5", call.Model);
        Assert.Equal("openai", call.Provider);
    }

    [Fact]
    public void ChildSession_IsASidechain_WithTheMessageAgent_AndItsOwnSession()
    {
        var call = Assert.Single(OpenCodeFixtures.ReadMessage("ses_kid", "msg_k1").Calls);

        Assert.True(call.IsSidechain);
        Assert.Equal("ses_main", call.ParentSessionId);
        Assert.Equal("explore", call.Agent);
        Assert.Equal("ses_kid", call.SessionId);
        Assert.Equal(0.0025m, call.ReportedCost);
        Assert.Equal(new TokenUsage(3, 0, 2000, null, 50, 0), call.Usage);
        Assert.Equal(StopReason.EndTurn, call.StopReason);
        Assert.Equal("/tmp/tally-oc-project", call.Project);
    }

    [Theory]
    [InlineData("msg_u1")] // a user message
    [InlineData("msg_a3")] // an aborted assistant message without tokens
    [InlineData("msg_a4")] // an assistant message whose counts are all still 0
    public void MessagesThatAreNotCalls_GiveNothing_AndAreNotSkips(string message)
    {
        var result = OpenCodeFixtures.ReadMessage("ses_main", message);

        Assert.Empty(result.Calls);
        Assert.Empty(result.Skipped);
    }

    [Fact]
    public void MalformedMessageFile_IsSkippedAsLineOne_NotFatal()
    {
        var path = OpenCodeFixtures.MessageFile("ses_main", "msg_bad");

        var result = OpenCodeFixtures.ReadMessage("ses_main", "msg_bad");

        Assert.Empty(result.Calls);
        Assert.Equal([new SkippedLine(path, 1, "not valid JSON")], result.Skipped);
        Assert.Equal(ReadStart.Beginning, result.Next);
    }

    [Fact]
    public void MessageFile_IsAlwaysReadWhole_WhateverTheCursorSays()
    {
        // OpenCode rewrites a message file in place; an offset into the old bytes means nothing.
        var resumed = OpenCodeFixtures.ReadMessage("ses_main", "msg_a1", new ReadStart(40, 1, null));

        Assert.Equal(OpenCodeFixtures.ReadMessage("ses_main", "msg_a1").Calls, resumed.Calls);
    }

    [Fact]
    public void ToolParts_BecomeToolResults_WithTargetsBytesAndErrors()
    {
        var tools = OpenCodeFixtures.ReadMessage("ses_main", "msg_a1").ToolResults;

        Assert.Equal(
        [
            new ToolResult
            {
                Source = "opencode",
                ToolUseId = "toolu_bash_1",
                SessionId = "ses_main",
                CallKey = "msg_a1",
                Name = "bash",
                Target = "dotnet build",
                Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(1776988803000),
                OutputBytes = 20, // "Build succeeded ✓\n": the check mark is 3 UTF-8 bytes
                Truncated = false,
                IsError = false,
            },
            new ToolResult
            {
                Source = "opencode",
                ToolUseId = "toolu_read_2",
                SessionId = "ses_main",
                CallKey = "msg_a1",
                Name = "read",
                Target = "/tmp/tally-oc-project/src/Missing.cs",
                Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(1776988804100),
                OutputBytes = 26, // the error text the agent read back
                Truncated = null,
                IsError = true,
            },
        ], tools);
    }

    [Fact]
    public void ToolParts_NonZeroExitIsAnError_RunningToolHasNoResultYet_AndPatternBeatsPath()
    {
        var failed = Assert.Single(OpenCodeFixtures.ReadMessage("ses_main", "msg_a2").ToolResults);
        Assert.Equal(("call_test_3", "dotnet test", 8L, (bool?)true), (failed.ToolUseId, failed.Target, failed.OutputBytes!.Value, failed.IsError));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1776988820000), failed.Timestamp); // no state.time: the message's

        var child = OpenCodeFixtures.ReadMessage("ses_kid", "msg_k1").ToolResults;
        Assert.Equal(2, child.Count);
        var grep = child[0];
        Assert.Equal(("grep", "TODO", 0L, (bool?)false, (bool?)true), (grep.Name, grep.Target, grep.OutputBytes!.Value, grep.IsError, grep.Truncated));
        var task = child[1];
        Assert.Equal(("task", "general", "ses_kid", "msg_k1"), (task.Name, task.Target, task.SessionId, task.CallKey));
        Assert.Null(task.OutputBytes);
        Assert.Null(task.IsError);
        Assert.Null(task.Truncated);
    }

    [Fact]
    public void WholeTree_GivesOneCallPerBilledAssistantMessage()
    {
        var (calls, tools, skipped) = OpenCodeFixtures.ReadTree();

        Assert.Equal(["msg_a1", "msg_a2", "msg_k1"], calls.Select(c => c.CallKey).Order(StringComparer.Ordinal));
        Assert.Equal(5, tools.Count);
        Assert.Equal("msg_bad.json", Path.GetFileName(Assert.Single(skipped).Path));
    }

    [Fact]
    public void MessageFileOutsideAStorageTree_StillGivesItsCall_WithoutSessionOrParts()
    {
        using var dir = new TestSupport.TestDirectory();
        var path = dir.WriteFile("loose/ses_x/msg_x.json", """
            { "role": "assistant", "time": { "created": 1000 }, "modelID": "m", "providerID": "p",
              "tokens": { "input": 1, "output": 2, "reasoning": 0, "cache": { "read": 0, "write": 0 } } }
            """);

        var call = Assert.Single(OpenCodeFixtures.Source().Read(LogFile.From(new FileInfo(path)), ReadStart.Beginning).Calls);

        Assert.Equal(("msg_x", "ses_x", 2L, (string?)null), (call.CallKey, call.SessionId, call.Usage.Output!.Value, call.Project));
        Assert.Null(call.ReportedCost); // no cost field at all
        Assert.Equal(StopReason.Unknown, call.StopReason);
    }

    [Fact]
    public void NegativeCount_IsSkipped()
    {
        using var dir = new TestSupport.TestDirectory();
        var path = dir.WriteFile("storage/message/ses_n/msg_n.json", """
            { "id": "msg_n", "sessionID": "ses_n", "role": "assistant", "time": { "created": 1000 },
              "tokens": { "input": -1, "output": 2 } }
            """);

        var result = OpenCodeFixtures.Source().Read(LogFile.From(new FileInfo(path)), ReadStart.Beginning);

        Assert.Empty(result.Calls);
        Assert.Equal([new SkippedLine(path, 1, "tokens.input is negative")], result.Skipped);
    }

    [Theory]
    [InlineData("\"modelID\": \"claude-\\ud800\"")] // half a surrogate pair
    [InlineData("\"modelID\": \"claude-\u00FF\u00FE\"")] // bytes that are not UTF-8
    public void UndecodableText_IsSkipped_NotFatal(string model)
    {
        using var dir = new TestSupport.TestDirectory();
        var json = "{ \"id\": \"msg_u\", \"sessionID\": \"ses_u\", \"role\": \"assistant\", \"time\": { \"created\": 1000 }, "
            + model + ", \"tokens\": { \"input\": 1, \"output\": 2 } }";
        var path = dir.WriteFile("storage/message/ses_u/msg_u.json", "");
        File.WriteAllBytes(path, System.Text.Encoding.Latin1.GetBytes(json)); // \u00FF\u00FE become the single bytes FF FE

        var result = OpenCodeFixtures.Source().Read(LogFile.From(new FileInfo(path)), ReadStart.Beginning);

        Assert.Empty(result.Calls);
        Assert.Equal([new SkippedLine(path, 1, "a string is not valid UTF-8 text")], result.Skipped);
    }

    [Fact]
    public void PropertyWrittenTwice_TheLastOneCounts()
    {
        using var dir = new TestSupport.TestDirectory();
        var path = dir.WriteFile("storage/message/ses_d/msg_d.json", """
            { "role": "user", "id": "msg_d", "sessionID": "ses_d", "time": { "created": 1000 }, "modelID": "old",
              "tokens": { "input": 7, "output": 7 }, "role": "assistant", "modelID": "new",
              "tokens": { "input": 1, "input": 5, "output": 2 }, "time": { "created": 2000, "completed": 2500 } }
            """);
        dir.WriteFile("storage/part/msg_d/prt_1.json", """
            { "type": "text", "callID": "c1", "type": "tool", "sessionID": "ses_d",
              "state": { "status": "running" }, "state": { "status": "completed", "output": "ok", "status": "error", "error": "boom!" } }
            """);

        var result = OpenCodeFixtures.Source().Read(LogFile.From(new FileInfo(path)), ReadStart.Beginning);

        var call = Assert.Single(result.Calls);
        Assert.Equal(("new", 5L, 2L, DateTimeOffset.FromUnixTimeMilliseconds(2500)), (call.Model, call.Usage.Input!.Value, call.Usage.Output!.Value, call.Timestamp));
        var tool = Assert.Single(result.ToolResults);
        Assert.Equal(("c1", 5L, (bool?)true), (tool.ToolUseId, tool.OutputBytes!.Value, tool.IsError));
    }

    [Fact]
    public void MalformedValues_AreReportedInAFixedOrder_WhateverTheOrderOfTheProperties()
    {
        using var dir = new TestSupport.TestDirectory();
        var path = dir.WriteFile("storage/message/ses_o/msg_o.json", """
            { "tokens": { "input": -1 }, "role": "assistant", "time": { "created": 1.5 }, "id": "msg_o", "sessionID": "ses_o" }
            """);

        var result = OpenCodeFixtures.Source().Read(LogFile.From(new FileInfo(path)), ReadStart.Beginning);

        Assert.Equal([new SkippedLine(path, 1, "time.created is not a whole number")], result.Skipped);
    }

    [Fact]
    public void InvalidJson_IsReportedBeforeAMalformedValueThatComesFirst()
    {
        using var dir = new TestSupport.TestDirectory();
        var path = dir.WriteFile("storage/message/ses_j/msg_j.json", """
            { "id": "msg_j", "sessionID": "ses_j", "tokens": { "input": -1 }, "role": "assistant" } trailing
            """);

        var result = OpenCodeFixtures.Source().Read(LogFile.From(new FileInfo(path)), ReadStart.Beginning);

        Assert.Equal([new SkippedLine(path, 1, "not valid JSON")], result.Skipped);
    }
}
