namespace Tally.Sources.JsonLines;

/// <summary>Receives the complete lines of a file, in order.</summary>
internal interface ILineSink
{
    /// <summary>One line without its <c>\n</c>, the file offset of its first byte and its 1-based number. The span is valid only during the call.</summary>
    void OnLine(ReadOnlySpan<byte> line, long offset, long lineNumber);
}
