using System.Text;
using Tally.Ingest;
using Tally.Model;
using Tally.Sources.Tests.TestSupport;

namespace Tally.Sources.Tests.ClaudeCode;

public sealed class ClaudeCodeToolResultTests
{
    private static Dictionary<string, ToolResult> ReadTools(string fixture) =>
        ClaudeFixtures.Read(fixture).ToolResults.ToDictionary(t => t.ToolUseId);

    [Theory]
    [InlineData("toolu_Read", "Read", "/home/dev/work/api/src/parser.ts")]
    [InlineData("toolu_Bash", "Bash", "npm test -- --verbose")]
    [InlineData("toolu_Grep", "Grep", "parse\\(")]
    [InlineData("toolu_Fetch", "WebFetch", "https://example.com/spec")]
    [InlineData("toolu_Search", "WebSearch", "utf8jsonreader skip")]
    [InlineData("toolu_Notebook", "NotebookEdit", "/home/dev/work/api/nb.ipynb")]
    [InlineData("toolu_Write", "Write", "/home/dev/work/api/src/new.ts")]
    [InlineData("toolu_MultiEdit", "MultiEdit", "/home/dev/work/api/src/multi.ts")]
    [InlineData("toolu_Edit", "Edit", "/home/dev/work/api/src/edit.ts")]
    [InlineData("toolu_Glob", "Glob", "**/*.ts")]
    [InlineData("toolu_TaskNoType", "Task", "Summarise the changes")]
    [InlineData("toolu_Mcp", "mcp__github__get_file_contents", "README.md")]
    [InlineData("toolu_Unknown", "TodoWrite", null)]
    public void ToolUse_TargetDependsOnTheTool(string toolUseId, string name, string? target)
    {
        var tool = ReadTools("tool-results.jsonl")[toolUseId];

        Assert.Equal(name, tool.Name);
        Assert.Equal(target, tool.Target);
        Assert.Equal(SourceNames.ClaudeCode, tool.Source);
        Assert.Equal("6f1c2a9e-0010-4c3b-9d2e-000000000010", tool.SessionId);
    }

    [Fact]
    public void ToolUse_AgentAndTask_TargetTheSubagentType()
    {
        Assert.Equal("general-purpose", ReadTools("multi-block-turn.jsonl")["toolu_01Agent"].Target);
        Assert.Equal("Explore", ReadTools("progress-and-task-result.jsonl")["toolu_Task1"].Target);
    }

    [Fact]
    public void ToolUse_RecordsTheRequestingCallAndTheRequestRowTime()
    {
        var tools = ReadTools("tool-results.jsonl");

        Assert.Equal("msg_Tools1", tools["toolu_Read"].CallKey);
        Assert.Equal("msg_Tools1", tools["toolu_Grep"].CallKey);
        Assert.Equal("msg_Tools2", tools["toolu_Search"].CallKey);
        Assert.Equal(new DateTimeOffset(2026, 4, 30, 8, 0, 1, 500, TimeSpan.Zero), tools["toolu_Bash"].Timestamp);
    }

    [Fact]
    public void ToolResult_StringContent_CountsDecodedUtf8Bytes()
    {
        var tool = ReadTools("tool-results.jsonl")["toolu_Read"];

        // Written with \u escapes, a surrogate pair, \n \" \t \\ and raw UTF-8; counted as decoded.
        Assert.Equal(Encoding.UTF8.GetByteCount("naïve café — 😀\n\"quoted\"\ttab\\"), tool.OutputBytes);
        Assert.Equal(35, tool.OutputBytes);
        Assert.False(tool.Truncated);
        Assert.False(tool.IsError); // no is_error field means not an error
    }

    [Fact]
    public void ToolResult_ArrayContent_CountsTextBlocksOnly()
    {
        var tools = ReadTools("tool-results.jsonl");

        Assert.Equal(5, tools["toolu_Search"].OutputBytes); // "abc" + "de"; the image block counts 0
        Assert.Equal(0, tools["toolu_TaskNoType"].OutputBytes); // an empty array
        Assert.Equal(0, tools["toolu_Glob"].OutputBytes); // null content
        Assert.Equal(15, ReadTools("multi-block-turn.jsonl")["toolu_01Agent"].OutputBytes);
    }

    [Theory]
    [InlineData("toolu_Bash", true)] // "... [638 lines truncated] ..." (Bash output cut at its limit)
    [InlineData("toolu_Fetch", true)] // "<persisted-output>" (saved to a file, preview shown)
    [InlineData("toolu_MultiEdit", true)] // "... [12 characters truncated] ..." (early middle cut)
    [InlineData("toolu_Edit", false)] // mentions "3 lines truncated] ..." without the mark's shape
    [InlineData("toolu_Write", false)]
    [InlineData("toolu_Search", false)]
    public void ToolResult_TruncatedOnlyWithClaudeCodesOwnMark(string toolUseId, bool truncated)
    {
        Assert.Equal(truncated, ReadTools("tool-results.jsonl")[toolUseId].Truncated);
    }

    [Fact]
    public void ToolResult_LargeOutputWithoutMark_IsNotTruncated()
    {
        // Like the 80,000-character sample: an output exactly at BASH_MAX_OUTPUT_LENGTH, no mark.
        using var directory = new TestDirectory();
        var big = new string('x', 80_000);
        var path = directory.WriteFile("big.jsonl",
            "{\"parentUuid\":\"a-1\",\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"tu_big\",\"content\":\"" + big + "\"}]},\"uuid\":\"u-2\",\"timestamp\":\"2026-04-20T00:00:02.000Z\",\"sessionId\":\"s\"}\n");

        var tool = Assert.Single(ClaudeFixtures.ReadFile(path).ToolResults);

        Assert.Equal(80_000, tool.OutputBytes);
        Assert.False(tool.Truncated);
        Assert.Null(tool.Name); // the request was not in the bytes read
        Assert.Equal(new DateTimeOffset(2026, 4, 20, 0, 0, 2, TimeSpan.Zero), tool.Timestamp);
    }

    [Fact]
    public void ToolResult_IsErrorComesFromTheBlock()
    {
        var tools = ReadTools("tool-results.jsonl");

        Assert.True(tools["toolu_Grep"].IsError);
        Assert.False(tools["toolu_Bash"].IsError);
        Assert.False(tools["toolu_Fetch"].IsError);
    }

    [Fact]
    public void ToolResult_ConsumerIsTheNextCallDownTheChain()
    {
        var tools = ReadTools("tool-results.jsonl");

        // Three results in three rows; the chain to msg_Tools2 passes through an attachment row.
        Assert.Equal("msg_Tools2", tools["toolu_Read"].ConsumerCallKey);
        Assert.Equal("msg_Tools2", tools["toolu_Bash"].ConsumerCallKey);
        Assert.Equal("msg_Tools2", tools["toolu_Grep"].ConsumerCallKey);
        Assert.Equal("msg_Tools3", tools["toolu_Fetch"].ConsumerCallKey);
        Assert.Equal("msg_Tools3", tools["toolu_Search"].ConsumerCallKey);
        Assert.All(tools.Values.Where(t => t.CallKey == "msg_Tools3"), t => Assert.Equal("msg_Tools4", t.ConsumerCallKey));
    }

    [Fact]
    public void ToolResult_ChainThroughASystemRow_FindsTheMainCallNotTheSubagentMirror()
    {
        var tools = ReadTools("progress-and-task-result.jsonl");

        var task = tools["toolu_Task1"];
        Assert.Equal("msg_Main1", task.CallKey);
        Assert.Equal("msg_Main2", task.ConsumerCallKey);
        Assert.Equal(15, task.OutputBytes);
        Assert.Single(tools);
    }

    [Fact]
    public void ToolResult_ReadByTheNextCall_WhenTheChainIsBroken()
    {
        // The result row's uuid is not the next call's parent (a row in between is missing), so the
        // next call on the same lane, in file order, is taken as its reader.
        using var directory = new TestDirectory();
        var path = directory.WriteFile("broken-chain.jsonl",
            """
            {"parentUuid":null,"sessionId":"s","message":{"model":"m","id":"msg_A","content":[{"type":"tool_use","id":"tu_1","name":"Bash","input":{"command":"ls"}}],"stop_reason":"tool_use","usage":{"input_tokens":1,"output_tokens":1}},"type":"assistant","uuid":"a-1","timestamp":"2026-05-01T00:00:00Z"}
            {"parentUuid":"a-1","sessionId":"s","type":"user","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"tu_1","content":"x"}]},"uuid":"u-1","timestamp":"2026-05-01T00:00:01Z"}
            {"parentUuid":"missing-row","sessionId":"s","message":{"model":"m","id":"msg_B","content":[],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":1}},"type":"assistant","uuid":"a-2","timestamp":"2026-05-01T00:00:02Z"}

            """);

        var tool = Assert.Single(ClaudeFixtures.ReadFile(path).ToolResults);

        Assert.Equal("msg_B", tool.ConsumerCallKey);
    }

    [Fact]
    public void ToolResult_ParallelLegacySidechains_FollowTheChainNotFileOrder()
    {
        // Two subagents' rows interleave in the main file with no agent ids: file order would give
        // tu_x's result to the wrong subagent's call.
        using var directory = new TestDirectory();
        var path = directory.WriteFile("parallel.jsonl",
            """
            {"parentUuid":"p","isSidechain":true,"sessionId":"s","message":{"model":"m","id":"msg_X1","content":[{"type":"tool_use","id":"tu_x","name":"Read","input":{"file_path":"/x"}}],"stop_reason":"tool_use","usage":{"input_tokens":1,"output_tokens":1}},"type":"assistant","uuid":"x-1","timestamp":"2026-05-01T00:00:00Z"}
            {"parentUuid":"x-1","isSidechain":true,"sessionId":"s","type":"user","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"tu_x","content":"x"}]},"uuid":"x-2","timestamp":"2026-05-01T00:00:01Z"}
            {"parentUuid":"q","isSidechain":true,"sessionId":"s","message":{"model":"m","id":"msg_Y1","content":[],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":1}},"type":"assistant","uuid":"y-1","timestamp":"2026-05-01T00:00:02Z"}
            {"parentUuid":"x-2","isSidechain":true,"sessionId":"s","message":{"model":"m","id":"msg_X2","content":[],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":1}},"type":"assistant","uuid":"x-3","timestamp":"2026-05-01T00:00:03Z"}

            """);

        var tool = Assert.Single(ClaudeFixtures.ReadFile(path).ToolResults);

        Assert.Equal("msg_X2", tool.ConsumerCallKey);
    }

    [Fact]
    public void ToolResult_WrittenBeforeTheRequestingMessagesLastBlock_IsNotReadByThatMessage()
    {
        // Claude Code can run a tool while the same response is still streaming its next block.
        using var directory = new TestDirectory();
        var path = directory.WriteFile("early-result.jsonl",
            """
            {"parentUuid":null,"sessionId":"s","message":{"model":"m","id":"msg_A","content":[{"type":"tool_use","id":"tu_1","name":"Read","input":{"file_path":"/a"}}],"stop_reason":null,"usage":{"input_tokens":1,"output_tokens":1}},"type":"assistant","uuid":"a-1","timestamp":"2026-05-01T00:00:00Z"}
            {"parentUuid":"a-1","sessionId":"s","type":"user","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"tu_1","content":"aaa"}]},"uuid":"u-1","timestamp":"2026-05-01T00:00:01Z"}
            {"parentUuid":"u-1","sessionId":"s","message":{"model":"m","id":"msg_A","content":[{"type":"tool_use","id":"tu_2","name":"Read","input":{"file_path":"/b"}}],"stop_reason":"tool_use","usage":{"input_tokens":1,"output_tokens":9}},"type":"assistant","uuid":"a-2","timestamp":"2026-05-01T00:00:02Z"}
            {"parentUuid":"a-2","sessionId":"s","type":"user","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"tu_2","content":"bbb"}]},"uuid":"u-2","timestamp":"2026-05-01T00:00:03Z"}
            {"parentUuid":"u-2","sessionId":"s","message":{"model":"m","id":"msg_B","content":[],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":1}},"type":"assistant","uuid":"a-3","timestamp":"2026-05-01T00:00:04Z"}

            """);

        var result = ClaudeFixtures.ReadFile(path);

        Assert.All(result.ToolResults, t => Assert.Equal("msg_B", t.ConsumerCallKey));
        Assert.Equal(9, result.Calls[0].Usage.Output);
    }

    [Fact]
    public void ToolResult_WhoseReaderIsNotWrittenYet_HoldsTheCursorAtItsRow()
    {
        using var directory = new TestDirectory();
        var firstPart =
            """
            {"parentUuid":null,"sessionId":"s","message":{"model":"m","id":"msg_A","content":[{"type":"tool_use","id":"tu_1","name":"Bash","input":{"command":"make"}}],"stop_reason":"tool_use","usage":{"input_tokens":1,"output_tokens":1}},"type":"assistant","uuid":"a-1","timestamp":"2026-05-01T00:00:00Z"}
            {"parentUuid":"a-1","sessionId":"s","type":"user","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"tu_1","content":"built"}]},"uuid":"u-1","timestamp":"2026-05-01T00:00:01Z"}

            """;
        var path = directory.WriteFile("waiting.jsonl", firstPart);
        var source = ClaudeFixtures.Source();

        var first = source.Read(ClaudeFixtures.Live(path), ReadStart.Beginning);

        var waiting = Assert.Single(first.ToolResults);
        Assert.Null(waiting.ConsumerCallKey);
        Assert.Equal(5, waiting.OutputBytes);
        var resultRowOffset = ClaudeFixtures.OffsetOfLine(path, 2);
        Assert.Equal(new ReadStart(resultRowOffset, 1, null), first.Next);
        // Had the session ended there, the cursor would not wait for a reader that never comes.
        Assert.Equal(new FileInfo(path).Length, source.Read(ClaudeFixtures.Finished(path), ReadStart.Beginning).Next.Offset);

        File.AppendAllText(path,
            """
            {"parentUuid":"u-1","sessionId":"s","message":{"model":"m","id":"msg_B","content":[],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":1}},"type":"assistant","uuid":"a-2","timestamp":"2026-05-01T00:00:02Z"}

            """);
        var second = source.Read(ClaudeFixtures.Live(path), first.Next);

        var read = Assert.Single(second.ToolResults);
        Assert.Equal("msg_B", read.ConsumerCallKey);
        Assert.Equal(5, read.OutputBytes);
        Assert.Equal(["msg_B"], second.Calls.Select(c => c.CallKey));
        Assert.Equal(new ReadStart(new FileInfo(path).Length, 3, null), second.Next);
    }
}
