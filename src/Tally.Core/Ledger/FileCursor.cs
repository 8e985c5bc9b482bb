namespace Tally.Ledger;

/// <summary>
/// Where ingest of one log file stands: everything before <see cref="Offset"/> has been read and
/// committed. <see cref="Fingerprint"/> identifies the file's content (a hash of its first bytes),
/// so a file that was replaced or rewritten is recognised and read again from the start.
/// </summary>
/// <param name="Source">The source that owns the file.</param>
/// <param name="Path">Full path of the file.</param>
/// <param name="Fingerprint">Identity of the file's content, from its first bytes.</param>
/// <param name="Offset">Byte offset just past the last line that was consumed.</param>
/// <param name="Line">How many lines lie before <paramref name="Offset"/> (for line numbers in messages).</param>
/// <param name="Size">File length when it was last read.</param>
/// <param name="ModifiedUtc">Last write time when it was last read.</param>
/// <param name="LinesSkipped">Malformed lines found in the file so far.</param>
/// <param name="State">A source's own resume state (JSON), when a byte offset is not enough.</param>
public sealed record FileCursor(
    string Source,
    string Path,
    string Fingerprint,
    long Offset,
    long Line,
    long Size,
    DateTimeOffset ModifiedUtc,
    long LinesSkipped,
    string? State = null);
