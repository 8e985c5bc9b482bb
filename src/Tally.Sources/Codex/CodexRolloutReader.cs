using Tally.Ingest;
using Tally.Projects;
using Tally.Sources.JsonLines;

namespace Tally.Sources.Codex;

/// <summary>
/// Reads a rollout from a byte offset to its last complete line (<see cref="JsonLinesReader"/>)
/// and hands each line to a <see cref="CodexRolloutAssembler"/>.
/// </summary>
internal static class CodexRolloutReader
{
    internal const int ChunkSize = JsonLinesReader.ChunkSize;

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
        return assembler.Finish(JsonLinesReader.Read(file.Path, start, assembler, chunkSize: chunkSize));
    }
}
