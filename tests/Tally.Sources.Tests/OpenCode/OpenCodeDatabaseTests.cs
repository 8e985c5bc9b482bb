using Tally.Ingest;
using Tally.Model;
using Tally.Sources.OpenCode;
using Tally.Sources.Tests.TestSupport;

namespace Tally.Sources.Tests.OpenCode;

public sealed class OpenCodeDatabaseTests
{
    [Fact]
    public void Database_GivesTheSameCallsAndToolResultsAsTheStorageTree()
    {
        using var dir = new TestDirectory();
        var db = Path.Combine(dir.Path, "opencode.db");
        OpenCodeFixtures.CreateDatabase(db);
        var (storageCalls, storageTools, _) = OpenCodeFixtures.ReadTree();

        var result = OpenCodeFixtures.ReadDatabase(db);

        // Same keys, usage, cost, stop reasons, projects and subagent flags: a migrated install counts each message once.
        Assert.Equal(storageCalls.OrderBy(c => c.CallKey, StringComparer.Ordinal), result.Calls.OrderBy(c => c.CallKey, StringComparer.Ordinal));
        Assert.Equal(storageTools.OrderBy(t => t.ToolUseId, StringComparer.Ordinal), result.ToolResults.OrderBy(t => t.ToolUseId, StringComparer.Ordinal));
        Assert.Equal(3, result.Calls.Count);
    }

    [Fact]
    public void Database_MalformedRow_IsSkippedWithItsRowId()
    {
        using var dir = new TestDirectory();
        var db = Path.Combine(dir.Path, "opencode.db");
        var badRow = OpenCodeFixtures.CreateDatabase(db);

        var result = OpenCodeFixtures.ReadDatabase(db);

        Assert.Equal([new SkippedLine(db, badRow, "not valid JSON")], result.Skipped);
    }

    [Fact]
    public void Database_RerunWithState_ReadsOnlyRowsUpdatedSince_IncludingInPlaceUpdates()
    {
        using var dir = new TestDirectory();
        var db = Path.Combine(dir.Path, "opencode.db");
        OpenCodeFixtures.CreateDatabase(db);

        var first = OpenCodeFixtures.ReadDatabase(db);
        var lastUpdate = OpenCodeFixtures.UpdatedAt(6); // seven messages
        Assert.Equal(new ReadStart(16, 0, "v1:" + lastUpdate), first.Next);

        // Nothing new: only the last minute is looked at again, and it holds a user message.
        var again = OpenCodeFixtures.ReadDatabase(db, first.Next);
        Assert.Empty(again.Calls);
        Assert.Empty(again.ToolResults);
        Assert.Empty(again.Skipped);
        Assert.Equal(first.Next, again.Next);

        // OpenCode fills in an old message's tokens in place and adds a new message with a tool part.
        using (var connection = OpenCodeFixtures.Open(db))
        {
            OpenCodeFixtures.Execute(connection,
                """UPDATE message SET time_updated = $t, data = json_set(data, '$.tokens', json('{"input":7,"output":9,"reasoning":1,"cache":{"read":30,"write":0}}'), '$.cost', 0.5) WHERE id = 'msg_a4'""",
                ("$t", lastUpdate + 5_000));
            OpenCodeFixtures.Execute(connection,
                "INSERT INTO message VALUES ('msg_a5', 'ses_main', $c, $t, $data)",
                ("$c", lastUpdate), ("$t", lastUpdate + 6_000),
                ("$data", """{"role":"assistant","time":{"created":1776999000000},"modelID":"gpt-5","providerID":"openai","tokens":{"input":1,"output":1,"cache":{"read":0,"write":0}},"finish":"length"}"""));
            OpenCodeFixtures.Execute(connection,
                "INSERT INTO part VALUES ('prt_a5_1', 'msg_a5', 'ses_main', $c, $t, $data)",
                ("$c", lastUpdate), ("$t", lastUpdate + 6_500),
                ("$data", """{"type":"tool","callID":"call_new","tool":"glob","state":{"status":"completed","input":{"pattern":"**/*.cs"},"output":"a.cs"}}"""));
        }

        var third = OpenCodeFixtures.ReadDatabase(db, again.Next);

        Assert.Equal(["msg_a4", "msg_a5"], third.Calls.Select(c => c.CallKey).Order(StringComparer.Ordinal));
        var updated = third.Calls.Single(c => c.CallKey == "msg_a4");
        Assert.Equal(new TokenUsage(7, 30, 0, null, 10, 1), updated.Usage);
        Assert.Equal(0.5m, updated.ReportedCost);
        Assert.Equal(StopReason.MaxTokens, third.Calls.Single(c => c.CallKey == "msg_a5").StopReason);
        var tool = Assert.Single(third.ToolResults);
        Assert.Equal(("call_new", "**/*.cs", "msg_a5", 4L), (tool.ToolUseId, tool.Target, tool.CallKey, tool.OutputBytes!.Value));
        Assert.Equal("v1:" + (lastUpdate + 6_500), third.Next.State);
    }

    [Fact]
    public void Database_RowsWithinTheOverlap_AreReadAgain()
    {
        using var dir = new TestDirectory();
        var db = Path.Combine(dir.Path, "opencode.db");
        OpenCodeFixtures.CreateDatabase(db);
        var state = "v1:" + (OpenCodeFixtures.UpdatedAt(0) + OpenCodeDatabaseReader.Overlap); // just after msg_k1 was last written

        var result = OpenCodeFixtures.ReadDatabase(db, new ReadStart(16, 0, state));

        Assert.Contains(result.Calls, c => c.CallKey == "msg_k1");
    }

    [Fact]
    public void Database_WithoutTables_GivesNothing_AndAGarbageFileIsAnIOException()
    {
        using var dir = new TestDirectory();
        var empty = Path.Combine(dir.Path, "opencode.db");
        using (var connection = OpenCodeFixtures.Open(empty))
        {
            OpenCodeFixtures.Execute(connection, "CREATE TABLE other (x INTEGER)");
        }

        var result = OpenCodeFixtures.ReadDatabase(empty);
        Assert.Empty(result.Calls);
        Assert.Empty(result.Skipped);

        var garbage = dir.WriteFile("opencode-old.db", new string('x', 4096));
        Assert.ThrowsAny<IOException>(() => OpenCodeFixtures.ReadDatabase(garbage));
    }
}
