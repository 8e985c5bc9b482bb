// Hot paths are marked AggressiveOptimization: a tally run is short, and tier-0 code in these loops would run for most of it.
using System.Runtime.CompilerServices;
using System.Buffers;
using Microsoft.Win32.SafeHandles;
using Tally.Ingest;
using Tally.Projects;

namespace Tally.Sources.Codex;

/// <summary>
/// Reads a rollout from a byte offset to its last complete line in large pooled chunks and hands
/// each line to a <see cref="CodexRolloutAssembler"/>.
/// </summary>
/// <remarks>
/// Positional reads on a raw handle avoid a second buffer. A line longer than the chunk grows the
/// buffer (a single tool result can be megabytes). A final line without <c>\n</c> is still being
/// written and is left for the next read.
/// </remarks>
internal static class CodexRolloutReader
{
    internal const int ChunkSize = 1 << 20;

    /// <param name="file">The file.</param>
    /// <param name="start">Where to begin. Past the beginning, its state must be this reader's own;
    /// without a usable state the file is read again from its beginning (the ledger's upserts keep
    /// that from double counting), since the cumulative baseline cannot be known otherwise.</param>
    /// <param name="projects">Resolves working directories to project keys.</param>
    /// <param name="chunkSize">The initial read size.</param>
    public static FileReadResult Read(LogFile file, ReadStart start, ProjectKeyResolver projects, int chunkSize = ChunkSize)
    {
        var state = start.Offset > 0 ? CodexState.TryParse(start.State) : null;
        if (state is null)
        {
            state = new CodexState();
            start = ReadStart.Beginning;
        }

        var assembler = new CodexRolloutAssembler(file.Path, projects, state);
        using var handle = File.OpenHandle(file.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.SequentialScan);
        var buffer = ArrayPool<byte>.Shared.Rent(chunkSize);
        try
        {
            var end = ReadLines(handle, start, assembler, ref buffer);
            return assembler.Finish(end);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static ReadStart ReadLines(SafeFileHandle handle, ReadStart start, CodexRolloutAssembler assembler, ref byte[] buffer)
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
                assembler.OnLine(buffer.AsSpan(position, length), lineNumber);
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
