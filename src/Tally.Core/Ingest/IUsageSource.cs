namespace Tally.Ingest;

/// <summary>
/// One agent's logs: where they live and how to turn their bytes into records. A source knows
/// its format and nothing about storage; the <c>Ingester</c> handles cursors and commits.
/// </summary>
/// <remarks>Implementations must be safe to call <see cref="Read"/> on different files from several threads at once.</remarks>
public interface IUsageSource
{
    /// <summary>The source name (see <see cref="Model.SourceNames"/>).</summary>
    string Name { get; }

    /// <summary>Finds the log files, and says where it looked.</summary>
    SourceDiscovery Discover();

    /// <summary>
    /// Reads one file from <paramref name="start"/> to its last complete line. Never throws for
    /// bad content: malformed lines are reported in <see cref="FileReadResult.Skipped"/>.
    /// </summary>
    /// <exception cref="IOException">The file could not be read.</exception>
    FileReadResult Read(LogFile file, ReadStart start);
}
