namespace Tally.Reports.Hotspots;

/// <summary>What the rows of a hotspots table are.</summary>
public enum HotspotDimension
{
    /// <summary>The tool's name (<c>Bash</c>, <c>Read</c>, <c>mcp__github__get_issue</c>).</summary>
    Tool,
    /// <summary>The file a file tool read or changed.</summary>
    File,
    /// <summary>The exact command line a shell tool ran.</summary>
    Command,
    /// <summary>The program a shell command ran (see <see cref="ShellVerbs"/>).</summary>
    Verb,
    /// <summary>The subagent type a Task/Agent tool started.</summary>
    Subagent,
    /// <summary>The MCP server of an MCP tool.</summary>
    McpServer,
}

/// <summary>The names dimensions go by on the command line (<c>--group-by</c>) and in JSON.</summary>
public static class HotspotDimensions
{
    /// <summary>Every dimension, in the order the tables are shown.</summary>
    public static IReadOnlyList<HotspotDimension> All { get; } =
    [
        HotspotDimension.Tool, HotspotDimension.File, HotspotDimension.Command,
        HotspotDimension.Verb, HotspotDimension.Subagent, HotspotDimension.McpServer,
    ];

    /// <summary>The <c>--group-by</c> name: <c>tool</c>, <c>file</c>, <c>command</c>, <c>verb</c>, <c>subagent</c>, <c>mcp-server</c>.</summary>
    public static string Name(this HotspotDimension dimension) => dimension switch
    {
        HotspotDimension.Tool => "tool",
        HotspotDimension.File => "file",
        HotspotDimension.Command => "command",
        HotspotDimension.Verb => "verb",
        HotspotDimension.Subagent => "subagent",
        _ => "mcp-server",
    };

    /// <summary>The JSON property of the dimension's table: <c>tools</c>, <c>files</c>, <c>commands</c>, <c>verbs</c>, <c>subagents</c>, <c>mcpServers</c>.</summary>
    public static string JsonName(this HotspotDimension dimension) => dimension switch
    {
        HotspotDimension.Tool => "tools",
        HotspotDimension.File => "files",
        HotspotDimension.Command => "commands",
        HotspotDimension.Verb => "verbs",
        HotspotDimension.Subagent => "subagents",
        _ => "mcpServers",
    };

    /// <summary>The dimension a name stands for (its <see cref="Name"/>, singular or plural, any case).</summary>
    /// <exception cref="ArgumentException">The name is not a dimension.</exception>
    public static HotspotDimension Parse(string name)
    {
        foreach (var dimension in All)
        {
            if (string.Equals(name, dimension.Name(), StringComparison.OrdinalIgnoreCase)
                || string.Equals(name, dimension.Name() + "s", StringComparison.OrdinalIgnoreCase)
                || string.Equals(name, dimension.JsonName(), StringComparison.OrdinalIgnoreCase))
            {
                return dimension;
            }
        }

        throw new ArgumentException($"Unknown hotspot grouping '{name}'; use one of: {string.Join(", ", All.Select(d => d.Name()))}.", nameof(name));
    }
}
