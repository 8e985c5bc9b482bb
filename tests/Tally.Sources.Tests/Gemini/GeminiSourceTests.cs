using Tally.Ingest;
using Tally.Model;
using Tally.Projects;
using Tally.Sources.Gemini;
using Tally.Sources.Tests.TestSupport;

namespace Tally.Sources.Tests.Gemini;

public sealed class GeminiSourceTests
{
    private static readonly string FixtureDirectory = Path.Combine(AppContext.BaseDirectory, "Fixtures", "gemini");

    private static GeminiSource Source(string home, params (string Name, string Value)[] variables) =>
        new(new AgentEnvironment(home, variables.ToDictionary(v => v.Name, v => v.Value)), new ProjectKeyResolver());

    private static FileReadResult ReadFixture(string name, out string path)
    {
        path = Path.Combine(FixtureDirectory, name);
        return Source(Path.GetTempPath()).Read(LogFile.From(new FileInfo(path)), ReadStart.Beginning);
    }

    [Fact]
    public void LegacyJson_CachedInsidePrompt_ThoughtsOutsideOutput_ToolAddedToInput()
    {
        var result = ReadFixture("legacy-session.json", out _);

        Assert.Empty(result.Skipped);
        Assert.Equal(2, result.Calls.Count);
        var first = result.Calls[0];
        Assert.Equal("g-1", first.CallKey);
        Assert.Equal(KeyKind.Recorded, first.KeyKind);
        Assert.Equal(SourceNames.Gemini, first.Source);
        Assert.Equal("0b9c6f1e-1111-4a2b-9c3d-aaaaaaaaaaaa", first.SessionId);
        Assert.Equal("gemini-2.5-pro", first.Model);
        Assert.Equal("google", first.Provider);
        Assert.Equal(new DateTimeOffset(2025, 11, 2, 9, 0, 10, TimeSpan.Zero), first.Timestamp);
        // input 1200 includes cached 1000 -> 200 fresh + 20 tool-use prompt; output 50 + thoughts 30.
        Assert.Equal(new TokenUsage(220, 1000, null, null, 80, 30), first.Usage);
        Assert.Equal(1300, first.Usage.BilledTokens);
        Assert.Equal(StopReason.Unknown, first.StopReason);
        Assert.Null(first.StopReasonRaw);
        Assert.False(first.IsSidechain);
        Assert.Null(first.ParentSessionId);

        // thoughts and tool absent: null, not 0.
        Assert.Equal(new TokenUsage(1500, 0, null, null, 10, null), result.Calls[1].Usage);
    }

    [Fact]
    public void LegacyJson_ToolCalls_HaveBytesErrorsTargetsAndConsumer()
    {
        var result = ReadFixture("legacy-session.json", out _);

        var requests = result.ToolResults.Where(t => t.Name is not null).ToList();
        Assert.Equal(2, requests.Count);
        var read = requests[0];
        Assert.Equal("read_file-1", read.ToolUseId);
        Assert.Equal("g-1", read.CallKey);
        Assert.Equal("/src/app/main.py", read.Target);
        Assert.Equal(6, read.OutputBytes); // "héllo" is 6 UTF-8 bytes
        Assert.False(read.IsError);
        Assert.Equal(new DateTimeOffset(2025, 11, 2, 9, 0, 11, TimeSpan.Zero), read.Timestamp);
        var shell = requests[1];
        Assert.Equal("pytest -q", shell.Target);
        Assert.Equal(6, shell.OutputBytes); // "exit 1"
        Assert.True(shell.IsError);

        var consumers = result.ToolResults.Where(t => t.ConsumerCallKey is not null).ToList();
        Assert.Equal(["read_file-1", "run_shell_command-2"], consumers.Select(c => c.ToolUseId).Order());
        Assert.All(consumers, c => Assert.Equal("g-2", c.ConsumerCallKey));
    }

    [Fact]
    public void Jsonl_ReappendedMessageIsOneCall_MalformedLinesSkipped_NoIdGetsDerivedKey()
    {
        var result = ReadFixture("session-2026-01-10T12-00-7d1e2f3a.jsonl", out var path);

        Assert.Equal(
            [new SkippedLine(path, 7, "not valid JSON"), new SkippedLine(path, 8, "usage has a negative count")],
            result.Skipped);
        Assert.Equal(["g-1", "7d1e2f3a-2222-4b5c-8d9e-bbbbbbbbbbbb@2026-01-10T12:00:20.000Z#9000:15:-:-:-:-", "g-5"], result.Calls.Select(c => c.CallKey));

        var g1 = result.Calls[0];
        Assert.Equal(new TokenUsage(2000, 6000, null, null, 600, 400), g1.Usage);
        Assert.Equal(StopReason.EndTurn, g1.StopReason);
        Assert.Equal("STOP", g1.StopReasonRaw);
        Assert.Equal("gemini-3-pro-preview", g1.Model);
        Assert.Equal("7d1e2f3a-2222-4b5c-8d9e-bbbbbbbbbbbb", g1.SessionId);

        var derived = result.Calls[1];
        Assert.Equal(KeyKind.Derived, derived.KeyKind);
        Assert.Equal(new TokenUsage(9000, null, null, null, 15, null), derived.Usage);

        // A rewound response was still billed; an all-zero summary is not a call.
        Assert.Equal(new TokenUsage(100, 9000, null, null, 20, 0), result.Calls[2].Usage);

        var glob = Assert.Single(result.ToolResults, t => t.Name == "glob");
        Assert.Equal("**/*.cs", glob.Target);
        Assert.Equal(9, glob.OutputBytes);
        Assert.Equal("g-1", glob.CallKey);
        Assert.Contains(result.ToolResults, t => t.ToolUseId == "glob-1" && t.ConsumerCallKey == derived.CallKey);
        Assert.Equal(12, result.Next.Line);
        Assert.Equal(new FileInfo(path).Length, result.Next.Offset);
    }

    [Fact]
    public void Jsonl_ResumesFromOffset_WithSessionFromState_AndSameKeys()
    {
        using var home = new TestDirectory();
        var lines = File.ReadAllLines(Path.Combine(FixtureDirectory, "session-2026-01-10T12-00-7d1e2f3a.jsonl"));
        var path = home.WriteFile(".gemini/tmp/my-app/chats/session-a.jsonl", string.Join('\n', lines[..6]) + "\n" + lines[8][..20]);
        var source = Source(home.Path);

        var first = source.Read(LogFile.From(new FileInfo(path)), ReadStart.Beginning);
        Assert.Equal(["g-1"], first.Calls.Select(c => c.CallKey));
        Assert.Equal(6, first.Next.Line);

        File.WriteAllText(path, string.Join('\n', lines[..6]) + "\n" + string.Join('\n', lines[8..]) + "\n");
        var second = source.Read(LogFile.From(new FileInfo(path)), first.Next);
        Assert.Equal(2, second.Calls.Count);
        Assert.All(second.Calls, c => Assert.Equal("7d1e2f3a-2222-4b5c-8d9e-bbbbbbbbbbbb", c.SessionId));
        Assert.Contains(second.ToolResults, t => t.ToolUseId == "glob-1" && t.ConsumerCallKey == second.Calls[0].CallKey);
        Assert.Empty(second.Skipped);
    }

    [Fact]
    public void TruncatedJson_IsSkippedNotFatal()
    {
        var result = ReadFixture("truncated.json", out var path);

        Assert.Empty(result.Calls);
        Assert.Equal([new SkippedLine(path, 1, "not valid JSON")], result.Skipped);
    }

    [Fact]
    public void ProjectRootMarker_GivesProject_AndNestedSubagentIsSidechain()
    {
        using var home = new TestDirectory();
        home.WriteFile(".gemini/tmp/my-app/.project_root", "/home/dev/my-app\n");
        var line = "{\"sessionId\":\"sub-1\",\"projectHash\":\"my-app\",\"kind\":\"subagent\"}\n"
            + "{\"id\":\"s-1\",\"timestamp\":\"2026-01-10T12:00:05Z\",\"type\":\"gemini\",\"content\":\"\",\"model\":\"gemini-2.5-flash\",\"tokens\":{\"input\":10,\"output\":2,\"cached\":0,\"total\":12}}\n";
        var path = home.WriteFile(".gemini/tmp/my-app/chats/parent-1/sub-1.jsonl", line);

        var call = Assert.Single(Source(home.Path).Read(LogFile.From(new FileInfo(path)), ReadStart.Beginning).Calls);

        Assert.Equal("/home/dev/my-app", call.Project);
        Assert.True(call.IsSidechain);
        Assert.Equal("sub-1", call.SessionId);
        Assert.Equal("parent-1", call.ParentSessionId);
    }

    [Fact]
    public void Discovery_DefaultHome_OnlyChatsFolders()
    {
        using var home = new TestDirectory();
        var json = home.WriteFile(".gemini/tmp/abc123/chats/session-2025-11-02T09-00-0b9c6f1e.json", "{}");
        var jsonl = home.WriteFile(".gemini/tmp/my-app/chats/session-2026-01-10T12-00-7d1e2f3a.jsonl", "{}\n");
        var sub = home.WriteFile(".gemini/tmp/my-app/chats/7d1e2f3a/sub-1.jsonl", "{}\n");
        home.WriteFile(".gemini/tmp/abc123/logs.json", "[]");
        home.WriteFile(".gemini/tmp/abc123/checkpoint-x.json", "[]");
        home.WriteFile(".gemini/tmp/abc123/chats/notes.txt", "no");

        var found = Source(home.Path).Discover();

        Assert.Equal([Path.Combine(home.Path, ".gemini", "tmp")], found.SearchedRoots);
        Assert.Equal(new[] { json, jsonl, sub }.Order(StringComparer.Ordinal), found.Files.Select(f => f.Path));
    }

    [Fact]
    public void Discovery_DataDirList_ThenCliHome()
    {
        using var home = new TestDirectory();
        var a = home.WriteFile("a/p/chats/session-1.json", "{}");
        var b = home.WriteFile("cli/.gemini/tmp/p/chats/session-2.jsonl", "{}\n");
        home.WriteFile(".gemini/tmp/p/chats/session-3.json", "{}");

        var viaData = Source(home.Path, ("GEMINI_DATA_DIR", " ~/a, ,~/a,~/missing"), ("GEMINI_CLI_HOME", "~/cli")).Discover();
        Assert.Equal([Path.Combine(home.Path, "a"), Path.Combine(home.Path, "missing")], viaData.SearchedRoots);
        Assert.Equal([a], viaData.Files.Select(f => f.Path));

        var viaCliHome = Source(home.Path, ("GEMINI_CLI_HOME", "~/cli")).Discover();
        Assert.Equal([Path.Combine(home.Path, "cli", ".gemini", "tmp")], viaCliHome.SearchedRoots);
        Assert.Equal([b], viaCliHome.Files.Select(f => f.Path));
    }
}
