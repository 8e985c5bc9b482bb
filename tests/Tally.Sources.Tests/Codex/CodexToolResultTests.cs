namespace Tally.Sources.Tests.Codex;

public sealed class CodexToolResultTests
{
    private const string Call1 = "2025-10-06T14:00:01.100Z|1000|0|50|10";
    private const string Call2 = "2025-10-06T14:00:02.200Z|2200|900|120|30";
    private const string Call3 = "2025-10-06T14:00:04.000Z|3600|2000|160|40";

    [Fact]
    public void ToolCalls_TargetsOutputsErrorsTruncationAndCallLinks()
    {
        var result = CodexFixtures.Read("tool-calls.jsonl");

        Assert.Equal([Call1, Call2, Call3], result.Calls.Select(c => c.CallKey));
        Assert.Equal(["call_ls", "call_test", "call_patch"], result.ToolResults.Select(t => t.ToolUseId));

        var ls = result.ToolResults[0];
        Assert.Equal("shell", ls.Name);
        Assert.Equal("ls -la", ls.Target);
        Assert.Equal(Call1, ls.CallKey);
        Assert.Equal(Call2, ls.ConsumerCallKey);
        Assert.Equal(new DateTimeOffset(2025, 10, 6, 14, 0, 1, TimeSpan.Zero), ls.Timestamp);
        // {"output":"total 0\nÅ\n","metadata":{"exit_code":0,"duration_seconds":0.1}} with Å two bytes.
        Assert.Equal(System.Text.Encoding.UTF8.GetByteCount("{\"output\":\"total 0\\n\u00c5\\n\",\"metadata\":{\"exit_code\":0,\"duration_seconds\":0.1}}"), ls.OutputBytes);
        Assert.False(ls.IsError);
        Assert.False(ls.Truncated);
        Assert.Equal("0199a000-0000-7000-8000-000000000006", ls.SessionId);

        var test = result.ToolResults[1];
        Assert.Equal("exec_command", test.Name);
        Assert.Equal("npm test", test.Target);
        Assert.Equal(Call2, test.CallKey);
        Assert.Equal(Call3, test.ConsumerCallKey);
        Assert.True(test.IsError); // "Exit code: 1"
        Assert.True(test.Truncated); // "…812 tokens truncated…"
        Assert.Equal(System.Text.Encoding.UTF8.GetByteCount("Exit code: 1\nWall time: 2.1 seconds\nOutput:\nFAIL \u2026812 tokens truncated\u2026 done\n"), test.OutputBytes);

        var patch = result.ToolResults[2];
        Assert.Equal("apply_patch", patch.Name);
        Assert.Equal("src/a.ts, src/b.ts", patch.Target);
        Assert.Equal(Call2, patch.CallKey);
        Assert.Equal(Call3, patch.ConsumerCallKey);
        Assert.True(patch.IsError); // patch_apply_end success:false
        Assert.False(patch.Truncated);
    }

    [Fact]
    public void ResumingBetweenARequestAndItsCall_LinksThroughTheState()
    {
        var path = CodexFixtures.PathOf("tool-calls.jsonl");
        var split = CodexCursorTests.OffsetOfLine(path, 4); // after the shell request, before its token_count

        var first = CodexFixtures.ReadFile(path, Ingest.ReadStart.Beginning);
        var head = CodexFixtures.Source().Read(CodexCursorTests.Truncated(path, split, out var cut), Ingest.ReadStart.Beginning);
        File.Delete(cut);
        var rest = CodexFixtures.ReadFile(path, new Ingest.ReadStart(split, 3, head.Next.State));

        var request = Assert.Single(head.ToolResults);
        Assert.Null(request.CallKey);
        Assert.Equal("ls -la", request.Target);
        var link = rest.ToolResults.First(t => t.ToolUseId == "call_ls");
        Assert.Equal(Call1, link.CallKey);
        Assert.Equal(Call2, link.ConsumerCallKey);
        Assert.Equal(first.Calls.Select(c => (c.CallKey, c.Usage)), head.Calls.Concat(rest.Calls).Select(c => (c.CallKey, c.Usage)));
    }

    [Theory]
    [InlineData("shell", "{\"command\":[\"bash\",\"-lc\",\"cat README.md\"]}", null, "cat README.md")]
    [InlineData("shell", "{\"command\":[\"rg\",\"-n\",\"TODO\"]}", null, "rg -n TODO")]
    [InlineData("shell", "{\"command\":[\"apply_patch\",\"*** Begin Patch\\n*** Delete File: old.txt\\n*** End Patch\"]}", null, "old.txt")]
    [InlineData("exec_command", "{\"cmd\":\"git diff\"}", null, "git diff")]
    [InlineData("read_file", "{\"path\":\"/a/b.cs\"}", null, "/a/b.cs")]
    [InlineData("apply_patch", null, "*** Begin Patch\n*** Update File: x.cs\n*** End Patch", "x.cs")]
    [InlineData("shell", "not json", null, null)]
    public void Targets(string name, string? arguments, string? input, string? expected) =>
        Assert.Equal(expected, Tally.Sources.Codex.CodexToolTargets.Target(name, arguments, input));

    [Theory]
    [InlineData("plain text", false)]
    [InlineData("head \u202610 chars truncated\u2026 tail", true)]
    [InlineData("head \\u2026120 tokens truncated\\u2026 tail", true)]
    [InlineData("a\\n[... omitted 144 of 400 lines ...]\\n\\nb", true)]
    [InlineData("I mention tokens truncated in prose", false)]
    public void TruncationMarks(string raw, bool expected) =>
        Assert.Equal(expected, Tally.Sources.Codex.CodexOutputStatus.IsTruncated(System.Text.Encoding.UTF8.GetBytes(raw)));
}
