using Tally.Ingest;
using Tally.Projects;
using Tally.Sources.JsonLines;

namespace Tally.Sources.Events;

/// <summary>
/// Reads a usage-event file from a byte offset (<see cref="JsonLinesReader"/>) and hands each
/// complete line to a <see cref="UsageEventLines"/>.
/// </summary>
/// <remarks>
/// Unlike an agent's transcript, an imported file is often written without a final newline, so a last line that is already a complete JSON value is taken;
/// a cursor left just past such a line then sees the newline that later ends it as the end of that
/// line, not as an empty line of its own, so line numbers stay right.
/// </remarks>
internal static class UsageEventReader
{
    // Event lines are a few hundred bytes.
    internal const int ChunkSize = 1 << 16;

    public static FileReadResult Read(LogFile file, ReadStart start, ProjectKeyResolver projects, int chunkSize = ChunkSize)
    {
        var lines = new UsageEventLines(file.Path, projects);
        var end = JsonLinesReader.Read(
            file.Path,
            start,
            lines,
            skipFirstLine: !JsonLinesReader.FollowsNewline(file.Path, start.Offset),
            tail: (tail, offset, lineNumber) =>
            {
                // What is left has no newline: take it only if it is already a whole JSON value.
                if (!UsageEventLines.IsComplete(tail, offset))
                {
                    return false;
                }

                lines.OnLine(tail, offset, lineNumber);
                return true;
            },
            chunkSize: chunkSize);
        return lines.Finish(end);
    }
}
