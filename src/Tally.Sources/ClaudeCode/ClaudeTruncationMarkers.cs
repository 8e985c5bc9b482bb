namespace Tally.Sources.ClaudeCode;

/// <summary>
/// The marks Claude Code itself leaves in a tool result when the agent was not given the whole
/// output. They are matched on the raw JSON bytes of the result, which works because none of them
/// contains a character JSON escapes.
/// </summary>
/// <remarks>
/// Where they come from:
/// <list type="bullet">
/// <item><see cref="PersistedOutput"/>: since Claude Code 2.1.2 a result over the inline limit is
/// saved to <c>&lt;session&gt;/tool-results/&lt;id&gt;.txt</c> and the agent sees
/// <c>&lt;persisted-output&gt;\nOutput too large (83.6KB). Full output saved to: …\n\nPreview (first 2KB):…</c>
/// (anthropics/claude-code#17944, #23948).</item>
/// <item><see cref="LinesTruncated"/>: before that, the Bash tool cut output at
/// <c>BASH_MAX_OUTPUT_LENGTH</c> characters (default 30,000) and appended
/// <c>\n\n... [638 lines truncated] ...</c>, the count being the lines dropped.</item>
/// <item><see cref="CharactersTruncated"/>: early versions cut the middle out instead,
/// <c>... [480572 characters truncated] ...</c> (anthropics/claude-code#805).</item>
/// </list>
/// An output that exactly fills the limit with no mark (the 80,000-byte result of the
/// <c>oversized-bash-output</c> sample) is not counted as truncated: only Claude Code's own mark
/// says the agent missed something. Text that merely quotes a mark (a file documenting it, say)
/// is a false positive this cannot tell apart.
/// </remarks>
internal static class ClaudeTruncationMarkers
{
    /// <summary>Opens a result whose full text was written to a file and replaced by a preview.</summary>
    public static ReadOnlySpan<byte> PersistedOutput => "<persisted-output>"u8;

    /// <summary>Ends Bash output cut at the length limit: <c>... [N lines truncated] ...</c>.</summary>
    public static ReadOnlySpan<byte> LinesTruncated => " lines truncated] ..."u8;

    /// <summary>Replaces the cut middle of early Bash output: <c>... [N characters truncated] ...</c>.</summary>
    public static ReadOnlySpan<byte> CharactersTruncated => " characters truncated] ..."u8;

    // Both count marks start "... [" and end in this, so one search finds either.
    private static ReadOnlySpan<byte> CountMarkEnd => "truncated] ..."u8;
    private static ReadOnlySpan<byte> CountMarkStart => "... ["u8;

    // The persisted-output tag opens the result; allow a little leading whitespace.
    private const int PersistedOutputSearchWindow = 16;

    /// <summary>Whether the raw (still escaped) JSON string bytes of a result carry a truncation mark.</summary>
    public static bool IsTruncated(ReadOnlySpan<byte> raw)
    {
        var head = raw[..Math.Min(raw.Length, PersistedOutputSearchWindow + PersistedOutput.Length)];
        if (head.IndexOf(PersistedOutput) is >= 0 and <= PersistedOutputSearchWindow)
        {
            return true;
        }

        var rest = raw;
        while (true)
        {
            var at = rest.IndexOf(CountMarkEnd);
            if (at < 0)
            {
                return false;
            }

            var end = at + CountMarkEnd.Length;
            if (EndsWithCountMark(rest[..end], LinesTruncated) || EndsWithCountMark(rest[..end], CharactersTruncated))
            {
                return true;
            }

            rest = rest[end..];
        }
    }

    // "... [" digits mark: the count must be there, so prose that merely says "lines truncated" is no mark.
    private static bool EndsWithCountMark(ReadOnlySpan<byte> text, ReadOnlySpan<byte> mark)
    {
        if (!text.EndsWith(mark))
        {
            return false;
        }

        var before = text[..^mark.Length];
        var digits = 0;
        while (digits < before.Length && char.IsAsciiDigit((char)before[before.Length - 1 - digits]))
        {
            digits++;
        }

        return digits > 0 && before[..^digits].EndsWith(CountMarkStart);
    }
}
