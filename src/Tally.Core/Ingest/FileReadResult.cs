using Tally.Model;

namespace Tally.Ingest;

/// <summary>The records read from one file, and where the next read should begin.</summary>
public sealed class FileReadResult
{
    /// <summary>Calls, already collapsed: one per billed API call seen in the bytes read.</summary>
    public List<LlmCall> Calls { get; } = [];

    /// <summary>Tool requests and results seen in the bytes read.</summary>
    public List<ToolResult> ToolResults { get; } = [];

    /// <summary>Lines that could not be used.</summary>
    public List<SkippedLine> Skipped { get; } = [];

    /// <summary>
    /// Where the next read begins: past the last complete line, or, when the last call in the
    /// file was still streaming, at that call's first line so that it is read again complete.
    /// </summary>
    public required ReadStart Next { get; init; }
}
