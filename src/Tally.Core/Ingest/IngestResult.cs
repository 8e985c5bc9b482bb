namespace Tally.Ingest;

/// <summary>What one sweep did.</summary>
/// <param name="Sources">Per source: where it looked and how many files it found.</param>
/// <param name="FilesRead">Files that had something new and were read.</param>
/// <param name="CallsAdded">Calls the ledger did not hold before.</param>
/// <param name="Skipped">Malformed lines met on the way, with file and line.</param>
public sealed record IngestResult(
    IReadOnlyList<SourceSweep> Sources,
    int FilesRead,
    long CallsAdded,
    IReadOnlyList<SkippedLine> Skipped)
{
    /// <summary>Whether no source found any log file.</summary>
    public bool FoundNothing => Sources.All(s => s.FilesFound == 0);
}

/// <summary>One source's part of a sweep.</summary>
/// <param name="Source">The source name.</param>
/// <param name="SearchedRoots">Where it looked.</param>
/// <param name="FilesFound">How many log files it found.</param>
public sealed record SourceSweep(string Source, IReadOnlyList<string> SearchedRoots, int FilesFound);
