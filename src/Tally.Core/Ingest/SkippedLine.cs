namespace Tally.Ingest;

/// <summary>A line that could not be used, and why.</summary>
/// <param name="Path">The file.</param>
/// <param name="Line">1-based line number.</param>
/// <param name="Reason">One short sentence: "not valid JSON", "usage has a negative count", ...</param>
public sealed record SkippedLine(string Path, long Line, string Reason)
{
    /// <inheritdoc />
    public override string ToString() => $"{Path}:{Line}: {Reason}";
}
