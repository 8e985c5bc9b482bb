using Tally.Model;

namespace Tally.Reports.Hotspots;

/// <summary>
/// Where a tool result belongs in each hotspots table, from its tool name and target as the
/// sources record them (Claude Code, Codex, OpenCode and Gemini CLI name their tools differently).
/// </summary>
public static class ToolKeys
{
    // Tools whose target is a file they read or changed.
    private static readonly HashSet<string> FileTools = new(StringComparer.OrdinalIgnoreCase)
    {
        "Read", "Edit", "Write", "MultiEdit", "NotebookEdit", "NotebookRead", "apply_patch", "patch",
        "view", "read_file", "write_file", "replace", "read_many_files", "edit_file",
    };

    // Tools whose target is a shell command line.
    private static readonly HashSet<string> ShellTools = new(StringComparer.OrdinalIgnoreCase)
    {
        "Bash", "shell", "exec_command", "local_shell", "container.exec", "run_shell_command", "BashOutput",
    };

    // Tools that start a subagent; their target is the subagent type.
    private static readonly HashSet<string> SubagentTools = new(StringComparer.OrdinalIgnoreCase) { "Task", "Agent" };

    /// <summary>The tool row: the tool's name, or <c>unknown</c> when the request was never seen.</summary>
    public static string Tool(ToolResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.Name ?? "unknown";
    }

    /// <summary>
    /// The file a file tool acted on, else null. A patch that touched several files is one row
    /// (<c>a.cs, b.cs</c>, as recorded), so that no cost is counted under two files.
    /// </summary>
    public static string? File(ToolResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.Name is not null && FileTools.Contains(result.Name) && result.Target is { Length: > 0 } target ? target : null;
    }

    /// <summary>The command line of a shell tool, else null.</summary>
    public static string? Command(ToolResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.Name is not null && ShellTools.Contains(result.Name) && result.Target is { Length: > 0 } command ? command : null;
    }

    /// <summary>The subagent type a Task/Agent tool started, else null.</summary>
    public static string? Subagent(ToolResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.Name is not null && SubagentTools.Contains(result.Name) && result.Target is { Length: > 0 } type ? type : null;
    }

    /// <summary>
    /// The MCP server of a tool named <c>mcp__&lt;server&gt;__&lt;tool&gt;</c> (Claude Code, and
    /// Codex's qualified MCP names), else null. OpenCode names MCP tools <c>&lt;server&gt;_&lt;tool&gt;</c>,
    /// which cannot be told apart from its own tools, so they are not counted here.
    /// </summary>
    public static string? McpServer(string? toolName)
    {
        const string Prefix = "mcp__";
        if (toolName is null || !toolName.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var rest = toolName.AsSpan(Prefix.Length);
        var end = rest.IndexOf("__", StringComparison.Ordinal);
        var server = end < 0 ? rest : rest[..end];
        return server.IsEmpty ? null : server.ToString();
    }

    /// <summary>The row of a result in one dimension, or null when it does not belong there.</summary>
    public static string? Key(ToolResult result, HotspotDimension dimension)
    {
        ArgumentNullException.ThrowIfNull(result);
        return dimension switch
        {
            HotspotDimension.Tool => Tool(result),
            HotspotDimension.File => File(result),
            HotspotDimension.Command => Command(result),
            HotspotDimension.Verb => ShellVerbs.Verb(Command(result)),
            HotspotDimension.Subagent => Subagent(result),
            HotspotDimension.McpServer => McpServer(result.Name),
            _ => null,
        };
    }
}
