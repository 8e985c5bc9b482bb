using Tally.Model;

namespace Tally.Ledger;

/// <summary>
/// What one commit writes: calls, tool results and the cursors that cover them. A ledger writes a
/// batch in one transaction, so a crash loses nothing and counts nothing twice.
/// </summary>
/// <remarks>
/// Calls are upserts on (source, callKey): when the call already exists, the more complete
/// observation wins (<see cref="LlmCall.Completeness"/>) and the session where the call was first
/// made is kept. Tool results merge by (source, toolUseId), each field keeping the first non-null
/// value seen.
/// </remarks>
public sealed class IngestBatch
{
    /// <summary>Calls to upsert.</summary>
    public List<LlmCall> Calls { get; } = [];

    /// <summary>Tool requests and results to merge.</summary>
    public List<ToolResult> ToolResults { get; } = [];

    /// <summary>Cursors to save, replacing any earlier cursor of the same (source, path).</summary>
    public List<FileCursor> Cursors { get; } = [];

    /// <summary>Whether the batch holds anything to write.</summary>
    public bool IsEmpty => Calls.Count == 0 && ToolResults.Count == 0 && Cursors.Count == 0;
}
