namespace Tally.Ingest;

/// <summary>A log file found by discovery.</summary>
/// <param name="Path">Full path.</param>
/// <param name="Size">Length in bytes when discovered.</param>
/// <param name="ModifiedUtc">Last write time when discovered.</param>
public sealed record LogFile(string Path, long Size, DateTimeOffset ModifiedUtc)
{
    /// <summary>Describes a file on disk.</summary>
    public static LogFile From(FileInfo info) => new(info.FullName, info.Length, info.LastWriteTimeUtc);
}
