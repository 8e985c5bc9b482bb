using System.Runtime.CompilerServices;
using System.Buffers.Text;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Tally.Sources.JsonLines;

/// <summary>
/// Measures a JSON string's decoded UTF-8 length straight from its raw bytes, so a tool result of
/// several megabytes is sized without being copied or turned into a .NET string.
/// </summary>
internal static class JsonStringLength
{
    /// <summary>The UTF-8 byte length of a string element's value, measured in place.</summary>
    /// <exception cref="InvalidOperationException">The element is not a string.</exception>
    public static long Of(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            throw new InvalidOperationException("Not a JSON string.");
        }

        var raw = JsonMarshal.GetRawUtf8Value(value)[1..^1]; // without the quotes
        return Unescaped(raw);
    }

    /// <summary>
    /// The UTF-8 byte length of the string once its escapes are decoded. The input is the raw
    /// value between the quotes, already validated by <see cref="System.Text.Json.Utf8JsonReader"/>.
    /// A lone surrogate escape counts as U+FFFD (3 bytes), as a decoder would write it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static long Unescaped(ReadOnlySpan<byte> raw)
    {
        long length = 0;
        var i = 0;
        while (true)
        {
            var slash = raw[i..].IndexOf((byte)'\\');
            if (slash < 0)
            {
                return length + (raw.Length - i);
            }

            length += slash;
            i += slash;
            if (i + 1 >= raw.Length)
            {
                return length + 1;
            }

            if (raw[i + 1] != (byte)'u')
            {
                length++; // \n \t \" \\ \/ \b \f \r: one byte each
                i += 2;
                continue;
            }

            var codeUnit = Hex4(raw, i + 2);
            i += 6;
            if (codeUnit is >= 0xD800 and <= 0xDBFF
                && i + 5 < raw.Length && raw[i] == (byte)'\\' && raw[i + 1] == (byte)'u'
                && Hex4(raw, i + 2) is >= 0xDC00 and <= 0xDFFF)
            {
                length += 4; // a surrogate pair is one supplementary code point
                i += 6;
            }
            else
            {
                length += codeUnit < 0x80 ? 1 : codeUnit < 0x800 ? 2 : 3;
            }
        }
    }

    private static int Hex4(ReadOnlySpan<byte> raw, int at) =>
        at + 4 <= raw.Length && Utf8Parser.TryParse(raw.Slice(at, 4), out ushort value, out var consumed, 'X') && consumed == 4
            ? value
            : 0xFFFD;
}
