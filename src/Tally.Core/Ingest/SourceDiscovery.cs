namespace Tally.Ingest;

/// <summary>What a source found: its log files, and the places it looked (shown when nothing was found).</summary>
/// <param name="SearchedRoots">Every directory the source looked in, whether it existed or not.</param>
/// <param name="Files">The log files found.</param>
public sealed record SourceDiscovery(IReadOnlyList<string> SearchedRoots, IReadOnlyList<LogFile> Files);
