using System.Buffers;
using System.Runtime.CompilerServices;
using Microsoft.Win32.SafeHandles;
using Tally.Ingest;

namespace Tally.Sources.JsonLines;

/// <summary>
/// Reads a JSON Lines file from a byte offset to its last complete line, in large pooled chunks,
/// and hands each line to a sink: the one line reader that every log source shares.
/// </summary>
/// <remarks>
/// Positional reads on a raw handle avoid a second buffer. A line longer than the chunk grows the
/// buffer (a single tool result can be megabytes). A final line without <c>\n</c> is still being
/// written and is left for the next read, unless the caller asks to see it
/// (<see cref="Read{TSink}"/>'s <c>tail</c>). The loop is compiled optimised at once
/// (<see cref="MethodImplOptions.AggressiveOptimization"/>): a tally run is short, and tier-0 code
/// here would run for most of it.
/// </remarks>
internal static class JsonLinesReader
{
    /// <summary>The initial read size.</summary>
    public const int ChunkSize = 1 << 20;

    /// <summary>What to do with bytes after the last <c>\n</c>.</summary>
    /// <param name="tail">The unterminated bytes.</param>
    /// <param name="offset">Their file offset.</param>
    /// <param name="lineNumber">The line number they would have.</param>
    /// <returns>Whether the caller took them as a line (then the read ends after them).</returns>
    public delegate bool TailHandler(ReadOnlySpan<byte> tail, long offset, long lineNumber);

    /// <summary>
    /// Reads <paramref name="path"/> from <paramref name="start"/>, calling the sink for each complete
    /// line, and returns where the next read begins (<see cref="ReadStart.State"/> is null).
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="start">Where to begin.</param>
    /// <param name="sink">Receives the lines.</param>
    /// <param name="skipFirstLine">The offset is inside a line an earlier read already took (it had no <c>\n</c> then): consume its rest without passing it on or counting it.</param>
    /// <param name="tail">Sees the bytes after the last <c>\n</c>; null leaves them for the next read.</param>
    /// <param name="chunkSize">The initial read size.</param>
    /// <exception cref="IOException">The file could not be read.</exception>
    public static ReadStart Read<TSink>(
        string path, ReadStart start, TSink sink, bool skipFirstLine = false, TailHandler? tail = null, int chunkSize = ChunkSize)
        where TSink : ILineSink
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.SequentialScan);
        var buffer = ArrayPool<byte>.Shared.Rent(chunkSize);
        try
        {
            return ReadLines(handle, start, sink, skipFirstLine, tail, ref buffer);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Whether the byte before <paramref name="offset"/> ends a line.</summary>
    public static bool FollowsNewline(string path, long offset)
    {
        if (offset == 0)
        {
            return true;
        }

        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        Span<byte> previous = stackalloc byte[1];
        return RandomAccess.Read(handle, previous, offset - 1) == 1 && previous[0] == (byte)'\n';
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static ReadStart ReadLines<TSink>(
        SafeFileHandle handle, ReadStart start, TSink sink, bool skipFirstLine, TailHandler? tail, ref byte[] buffer)
        where TSink : ILineSink
    {
        var bufferOffset = start.Offset; // file offset of buffer[0]
        var filled = 0;
        var searched = 0; // bytes of the pending partial line already known to hold no '\n'
        var lineNumber = start.Line;
        while (true)
        {
            if (filled == buffer.Length)
            {
                // One line fills the whole buffer: grow it rather than split the line.
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
                if (skipFirstLine)
                {
                    skipFirstLine = false;
                }
                else
                {
                    lineNumber++;
                    sink.OnLine(buffer.AsSpan(position, length), bufferOffset + position, lineNumber);
                }

                position += length + 1;
                searched = 0;
            }

            // Keep the unfinished line at the front of the buffer.
            var remaining = filled - position;
            if (position > 0)
            {
                buffer.AsSpan(position, remaining).CopyTo(buffer);
                bufferOffset += position;
                filled = remaining;
            }
        }

        if (filled > 0 && !skipFirstLine && tail is not null && tail(buffer.AsSpan(0, filled), bufferOffset, lineNumber + 1))
        {
            return new ReadStart(bufferOffset + filled, lineNumber + 1, null);
        }

        return new ReadStart(bufferOffset, lineNumber, null);
    }
}
