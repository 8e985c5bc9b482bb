using Tally.Ingest;
using Tally.Projects;
using Tally.Sources.JsonLines;

namespace Tally.Sources.ClaudeCode;

/// <summary>
/// Reads a transcript from a byte offset to its last complete line (<see cref="JsonLinesReader"/>)
/// and hands each line to a <see cref="ClaudeTranscriptAssembler"/>.
/// </summary>
internal static class ClaudeTranscriptReader
{
    internal const int ChunkSize = JsonLinesReader.ChunkSize;

    /// <param name="file">The file, with its write time as discovery saw it.</param>
    /// <param name="start">Where to begin.</param>
    /// <param name="projects">Resolves working directories to project keys.</param>
    /// <param name="now">The current time, to tell a live file from a finished one.</param>
    /// <param name="chunkSize">The initial read size.</param>
    public static FileReadResult Read(LogFile file, ReadStart start, ProjectKeyResolver projects, DateTimeOffset now, int chunkSize = ChunkSize)
    {
        var assembler = new ClaudeTranscriptAssembler(file.Path, projects);
        var end = JsonLinesReader.Read(file.Path, start, assembler, chunkSize: chunkSize);
        return assembler.Finish(end, live: now - file.ModifiedUtc < ClaudeTranscriptAssembler.LiveWindow);
    }
}
