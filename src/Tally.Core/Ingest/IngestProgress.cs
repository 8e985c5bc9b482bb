namespace Tally.Ingest;

/// <summary>How far a sweep has come.</summary>
/// <param name="FilesDone">Files read and committed or queued for commit.</param>
/// <param name="FilesTotal">Files with something new to read.</param>
/// <param name="BytesDone">Size of the files done.</param>
/// <param name="BytesTotal">Size of all files with something new.</param>
public sealed record IngestProgress(int FilesDone, int FilesTotal, long BytesDone, long BytesTotal);
