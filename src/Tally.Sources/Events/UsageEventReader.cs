using System.Buffers;
using Microsoft.Win32.SafeHandles;
using Tally.Ingest;
using Tally.Projects;

namespace Tally.Sources.Events;

/// <summary>
/// Reads a usage-event file from a byte offset in pooled chunks and hands each complete line to a
/// <see cref="UsageEventLines"/>.
/// </summary>
/// <remarks>
/// The same chunked pattern as the Claude Code reader: positional reads on a raw handle, a buffer
/// that grows for a line longer than itself. Unlike an agent's transcript, an imported file is often
/// written without a final newline, so a last line that is already a complete JSON value is taken;
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
        using var handle = File.OpenHandle(file.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.SequentialScan);
        var buffer = ArrayPool<byte>.Shared.Rent(chunkSize);
        try
        {
            return lines.Finish(ReadLines(handle, start, lines, ref buffer));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static ReadStart ReadLines(SafeFileHandle handle, ReadStart start, UsageEventLines lines, ref byte[] buffer)
    {
        var bufferOffset = start.Offset; // file offset of buffer[0]
        var filled = 0;
        var searched = 0; // bytes of the pending partial line already known to hold no '\n'
        var lineNumber = start.Line;
        var endingTakenLine = start.Offset > 0 && !FollowsNewline(handle, start.Offset);
        while (true)
        {
            if (filled == buffer.Length)
            {
                var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                buffer.AsSpan(0, filled).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = larger;
            }

            var read = RandomAccess.Read(handle, buffer.AsSpan(filled), bufferOffset + filled);
            if (read == 0)
            {
                break;
            }

            filled += read;
            var position = 0;
            while (true)
            {
                var newline = buffer.AsSpan(position + searched, filled - position - searched).IndexOf((byte)'\n');
                if (newline < 0)
                {
                    searched = filled - position;
                    break;
                }

                var length = searched + newline;
                if (endingTakenLine)
                {
                    endingTakenLine = false; // the rest of a line the previous read already took
                }
                else
                {
                    lineNumber++;
                    lines.OnLine(buffer.AsSpan(position, length), bufferOffset + position, lineNumber);
                }

                position += length + 1;
                searched = 0;
            }

            var remaining = filled - position;
            if (position > 0)
            {
                buffer.AsSpan(position, remaining).CopyTo(buffer);
                bufferOffset += position;
                filled = remaining;
            }
        }

        // What is left has no newline: take it only if it is already a whole JSON value.
        if (filled > 0 && !endingTakenLine && UsageEventLines.IsComplete(buffer.AsSpan(0, filled), bufferOffset))
        {
            lineNumber++;
            lines.OnLine(buffer.AsSpan(0, filled), bufferOffset, lineNumber);
            return new ReadStart(bufferOffset + filled, lineNumber, null);
        }

        return new ReadStart(bufferOffset, lineNumber, null);
    }

    private static bool FollowsNewline(SafeFileHandle handle, long offset)
    {
        Span<byte> previous = stackalloc byte[1];
        return RandomAccess.Read(handle, previous, offset - 1) == 1 && previous[0] == (byte)'\n';
    }
}
