using Tally.Model;
using Tally.Reports.Hotspots;

namespace Tally.Core.Tests.Reports.Hotspots;

public sealed class ToolKeysTests
{
    private static ToolResult Tool(string? name, string? target) =>
        new() { Source = SourceNames.ClaudeCode, ToolUseId = "t", SessionId = "s", Name = name, Target = target };

    [Theory]
    [InlineData("mcp__github__get_issue", "github")]
    [InlineData("mcp__claude_ai_Linear__list_issues", "claude_ai_Linear")]
    [InlineData("mcp__solo", "solo")]
    [InlineData("Bash", null)]
    [InlineData("github_get_issue", null)]
    public void The_mcp_server_is_the_middle_of_an_mcp_tool_name(string name, string? server) =>
        Assert.Equal(server, ToolKeys.McpServer(name));

    [Fact]
    public void Each_dimension_takes_the_target_of_the_tools_it_is_about()
    {
        var read = Tool("Read", "/src/a.cs");
        var bash = Tool("Bash", "cd api && git diff");
        var task = Tool("Task", "code-reviewer");
        var grep = Tool("Grep", "TODO");

        Assert.Equal("/src/a.cs", ToolKeys.Key(read, HotspotDimension.File));
        Assert.Null(ToolKeys.Key(read, HotspotDimension.Command));
        Assert.Equal("cd api && git diff", ToolKeys.Key(bash, HotspotDimension.Command));
        Assert.Equal("git", ToolKeys.Key(bash, HotspotDimension.Verb));
        Assert.Null(ToolKeys.Key(bash, HotspotDimension.File));
        Assert.Equal("code-reviewer", ToolKeys.Key(task, HotspotDimension.Subagent));
        Assert.Null(ToolKeys.Key(grep, HotspotDimension.File));
        Assert.Equal("Grep", ToolKeys.Key(grep, HotspotDimension.Tool));
        Assert.Equal("unknown", ToolKeys.Key(Tool(null, null), HotspotDimension.Tool));
        Assert.Equal("ls -la", ToolKeys.Key(Tool("shell", "ls -la"), HotspotDimension.Command)); // Codex
        Assert.Equal("src/a.rs, src/b.rs", ToolKeys.Key(Tool("apply_patch", "src/a.rs, src/b.rs"), HotspotDimension.File));
    }
}
