// Hot paths are marked AggressiveOptimization: a tally run is short, and tier-0 code in these loops would run for most of it.
using System.Runtime.CompilerServices;
using System.Buffers;
using Microsoft.Win32.SafeHandles;
using Tally.Ingest;
using Tally.Projects;

namespace Tally.Sources.ClaudeCode;

/// <summary>
/// Reads a transcript from a byte offset to its last complete line in large pooled chunks and
/// hands each line to a <see cref="ClaudeTranscriptAssembler"/>.
/// </summary>
/// <remarks>
/// Positional reads on a raw handle avoid a second buffer. A line longer than the chunk grows the
/// buffer (a single tool result can be megabytes). A final line without <c>\n</c> is still being
/// written and is left for the next read.
/// </remarks>
internal static class ClaudeTranscriptReader
{
    internal const int ChunkSize = 1 << 20;

    /// <param name="file">The file, with its write time as discovery saw it.</param>
    /// <param name="start">Where to begin.</param>
    /// <param name="projects">Resolves working directories to project keys.</param>
    /// <param name="now">The current time, to tell a live file from a finished one.</param>
    /// <param name="chunkSize">The initial read size.</param>
    public static FileReadResult Read(LogFile file, ReadStart start, ProjectKeyResolver projects, DateTimeOffset now, int chunkSize = ChunkSize)
    {
        var assembler = new ClaudeTranscriptAssembler(file.Path, projects);
        using var handle = File.OpenHandle(file.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.SequentialScan);
        var buffer = ArrayPool<byte>.Shared.Rent(chunkSize);
        try
        {
            var end = ReadLines(handle, start, assembler, ref buffer);
            return assembler.Finish(end, live: now - file.ModifiedUtc < ClaudeTranscriptAssembler.LiveWindow);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static ReadStart ReadLines(SafeFileHandle handle, ReadStart start, ClaudeTranscriptAssembler assembler, ref byte[] buffer)
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
                lineNumber++;
                assembler.OnLine(buffer.AsSpan(position, length), bufferOffset + position, lineNumber);
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

        return new ReadStart(bufferOffset, lineNumber, null);
    }
}
