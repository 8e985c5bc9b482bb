namespace Tally.Model;

/// <summary>
/// A tool invocation requested by a call and, once it ran, its result. Identity is
/// (<see cref="Source"/>, <see cref="ToolUseId"/>). The request and the result are often read at
/// different times, so either half may be missing; a ledger merges them.
/// </summary>
public sealed record ToolResult
{
    /// <summary>Where it was read from.</summary>
    public required string Source { get; init; }

    /// <summary>The provider's tool-use id (<c>toolu_…</c>, <c>call_…</c>).</summary>
    public required string ToolUseId { get; init; }

    /// <summary>The session it belongs to.</summary>
    public required string SessionId { get; init; }

    /// <summary>The call that asked for the tool, when seen.</summary>
    public string? CallKey { get; init; }

    /// <summary>The tool's name (<c>Bash</c>, <c>Read</c>, <c>mcp__github__get_issue</c>), when seen.</summary>
    public string? Name { get; init; }

    /// <summary>What it acted on: a file path, a command, a pattern, a URL, a subagent type.</summary>
    public string? Target { get; init; }

    /// <summary>When the tool was requested or, failing that, when its result arrived.</summary>
    public DateTimeOffset? Timestamp { get; init; }

    /// <summary>UTF-8 byte length of the result the agent read, or null when no result was seen.</summary>
    public long? OutputBytes { get; init; }

    /// <summary>Whether the agent truncated the output (null: unknown or no result).</summary>
    public bool? Truncated { get; init; }

    /// <summary>Whether the result was an error (null: no result seen).</summary>
    public bool? IsError { get; init; }

    /// <summary>The call that read the result (the next call in the same conversation), when seen.</summary>
    public string? ConsumerCallKey { get; init; }
}
