namespace Tally.Ingest;

/// <summary>Where a read begins.</summary>
/// <param name="Offset">Byte offset of the first unread line.</param>
/// <param name="Line">How many lines precede <paramref name="Offset"/>.</param>
/// <param name="State">The source's own resume state from the previous read, if it keeps one.</param>
public sealed record ReadStart(long Offset, long Line, string? State)
{
    /// <summary>The beginning of a file.</summary>
    public static ReadStart Beginning { get; } = new(0, 0, null);
}
