using System.Text;
using System.Text.Unicode;

namespace Tally.Sources.JsonLines;

/// <summary>
/// Decodes short UTF-8 values that recur from record to record (model and provider names, session
/// ids, working directories, tool names) and hands back the same string for the same bytes, rather
/// than a new copy per record: fewer allocations while reading, and less for the collector to copy
/// while the records wait for their commit.
/// </summary>
/// <remarks>
/// A small direct-mapped table of ASCII strings: a value whose slot holds another one is decoded and
/// takes the slot. Not thread-safe; keep one per thread.
/// </remarks>
internal sealed class Utf8StringCache
{
    private const int Slots = 512;
    private const int LongestCached = 128;

    private readonly string?[] _strings = new string?[Slots];

    /// <summary>
    /// The string <paramref name="utf8"/> decodes to, decoded strictly as
    /// <see cref="System.Text.Json.Utf8JsonReader.GetString"/> decodes an unescaped value, so a reader
    /// can use it in its place.
    /// </summary>
    /// <exception cref="InvalidOperationException">The bytes are not valid UTF-8.</exception>
    public string Get(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > LongestCached)
        {
            return Decode(utf8);
        }

        var hash = new HashCode();
        hash.AddBytes(utf8);
        var slot = hash.ToHashCode() & (Slots - 1);
        if (_strings[slot] is { } known && known.Length == utf8.Length && Ascii.Equals(utf8, known))
        {
            return known;
        }

        var text = Decode(utf8);
        if (text.Length == utf8.Length)
        {
            _strings[slot] = text; // ASCII, so the next lookup compares it byte for char
        }

        return text;
    }

    /// <summary>Decodes valid UTF-8; anything else throws, as <see cref="System.Text.Json.Utf8JsonReader.GetString"/> does.</summary>
    /// <exception cref="InvalidOperationException">The bytes are not valid UTF-8.</exception>
    public static string Decode(ReadOnlySpan<byte> utf8) =>
        Utf8.IsValid(utf8) ? Encoding.UTF8.GetString(utf8) : throw new InvalidOperationException("Cannot transcode invalid UTF-8 JSON text to UTF-16 string.");
}
