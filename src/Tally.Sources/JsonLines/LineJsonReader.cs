using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Tally.Sources.JsonLines;

/// <summary>
/// A <see cref="Utf8JsonReader"/> over one JSON line that passes over long string values with a
/// vectorized search for their closing quote instead of tokenizing them byte by byte.
/// </summary>
/// <remarks>
/// <para><see cref="Utf8JsonReader"/> validates a string from its first backslash on one byte at a
/// time, and the strings an agent log is made of (tool output, file contents, model text) are long
/// and full of <c>\n</c> escapes, while a reader of usage needs few of them. So when the value of a
/// property is a string of at least <see cref="LongString"/> bytes, this reader finds its end by
/// searching for the next quote or backslash, checks each escape and that no control character
/// appears (as <see cref="Utf8JsonReader"/> does, so a line is valid exactly when it is for that
/// reader; a string that fails is left to the ordinary read, which reports the error), and carries
/// on with a new <see cref="Utf8JsonReader"/> after it, in the state the full read would have left.</para>
/// <para>Such a string is exposed exactly as a tokenized one (<see cref="ValueSpan"/> is its raw
/// bytes between the quotes, <see cref="ValueIsEscaped"/> whether it holds an escape).
/// <see cref="TokenStartIndex"/> and <see cref="BytesConsumed"/> count from the start of the line,
/// whatever reader holds the position.</para>
/// </remarks>
internal ref struct LineJsonReader
{
    /// <summary>Strings with fewer raw bytes than this between their quotes are tokenized as usual: re-basing the reader would cost more than it spares.</summary>
    internal const int LongString = 128;

    private readonly ReadOnlySpan<byte> _line;
    private Utf8JsonReader _json;
    private int _base;

    // The long string value last passed over: its quotes' positions in the line, or -1.
    private int _longStart;
    private int _longEnd;
    private bool _longEscaped;

    /// <summary>Starts reading a line.</summary>
    public LineJsonReader(ReadOnlySpan<byte> line, JsonReaderOptions options)
    {
        _line = line;
        _json = new Utf8JsonReader(line, options);
        _longStart = -1;
    }

    /// <inheritdoc cref="Utf8JsonReader.TokenType"/>
    public readonly JsonTokenType TokenType => _longStart >= 0 ? JsonTokenType.String : _json.TokenType;

    /// <inheritdoc cref="Utf8JsonReader.ValueSpan"/>
    public readonly ReadOnlySpan<byte> ValueSpan => _longStart >= 0 ? _line[(_longStart + 1).._longEnd] : _json.ValueSpan;

    /// <inheritdoc cref="Utf8JsonReader.ValueIsEscaped"/>
    public readonly bool ValueIsEscaped => _longStart >= 0 ? _longEscaped : _json.ValueIsEscaped;

    /// <summary>Where the current token starts, counted from the start of the line (a string's opening quote).</summary>
    public readonly long TokenStartIndex => _longStart >= 0 ? _longStart : _base + _json.TokenStartIndex;

    /// <summary>How many bytes of the line have been read, counted from its start.</summary>
    public readonly long BytesConsumed => _longStart >= 0 ? _longEnd + 1 : _base + _json.BytesConsumed;

    /// <inheritdoc cref="Utf8JsonReader.CurrentDepth"/>
    public readonly int CurrentDepth => _json.CurrentDepth;

    /// <inheritdoc cref="Utf8JsonReader.Read"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Read()
    {
        if (_json.TokenType == JsonTokenType.PropertyName && PassLongString())
        {
            return true;
        }

        _longStart = -1;
        return _json.Read();
    }

    /// <inheritdoc cref="Utf8JsonReader.Skip"/>
    public void Skip()
    {
        if (_longStart < 0)
        {
            _json.Skip();
        }
    }

    /// <inheritdoc cref="Utf8JsonReader.ValueTextEquals(ReadOnlySpan{byte})"/>
    public readonly bool ValueTextEquals(ReadOnlySpan<byte> utf8Text)
    {
        if (_longStart < 0)
        {
            return _json.ValueTextEquals(utf8Text);
        }

        var value = LongValue();
        return value.ValueTextEquals(utf8Text);
    }

    /// <inheritdoc cref="Utf8JsonReader.GetString"/>
    public readonly string? GetString()
    {
        if (_longStart < 0)
        {
            return _json.GetString();
        }

        var value = LongValue();
        return value.GetString();
    }

    /// <inheritdoc cref="Utf8JsonReader.CopyString(Span{byte})"/>
    public readonly int CopyString(Span<byte> utf8Destination)
    {
        if (_longStart < 0)
        {
            return _json.CopyString(utf8Destination);
        }

        var value = LongValue();
        return value.CopyString(utf8Destination);
    }

    /// <inheritdoc cref="Utf8JsonReader.TryGetDateTimeOffset(out DateTimeOffset)"/>
    public readonly bool TryGetDateTimeOffset(out DateTimeOffset result)
    {
        if (_longStart < 0)
        {
            return _json.TryGetDateTimeOffset(out result);
        }

        var value = LongValue();
        return value.TryGetDateTimeOffset(out result);
    }

    /// <inheritdoc cref="Utf8JsonReader.TryGetInt64(out long)"/>
    public readonly bool TryGetInt64(out long value) => _json.TryGetInt64(out value);

    /// <inheritdoc cref="Utf8JsonReader.GetDouble"/>
    public readonly double GetDouble() => _json.GetDouble();

    /// <inheritdoc cref="Utf8JsonReader.TryGetDecimal(out decimal)"/>
    public readonly bool TryGetDecimal(out decimal value) => _json.TryGetDecimal(out value);

    /// <summary>
    /// At a property name whose value is a long string: finds the string's end, moves past it and
    /// returns true. Otherwise (another kind of value, a short or unterminated string) returns false
    /// and leaves the position alone, for the ordinary read to take the value (and report any error).
    /// </summary>
    private bool PassLongString()
    {
        var start = _base + (int)_json.BytesConsumed;
        var line = _line;
        while (start < line.Length && line[start] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            start++;
        }

        if (start >= line.Length || line[start] != (byte)'"' || line.Length - start < LongString + 2)
        {
            return false;
        }

        var escaped = false;
        var end = start + 1;
        while (true)
        {
            // One pass finds the end and any control character, which a JSON string may not hold.
            var found = line[end..].IndexOfAny(StringEndsOrFails);
            if (found < 0)
            {
                return false;
            }

            end += found;
            if (line[end] == (byte)'"')
            {
                break;
            }

            if (line[end] != (byte)'\\')
            {
                return false; // a control character: the ordinary read reports it
            }

            escaped = true;
            if (!IsValidEscape(line[(end + 1)..]))
            {
                return false;
            }

            end += 2; // the backslash and the character it escapes (a \u's hex digits need no care)
            if (end >= line.Length)
            {
                return false;
            }
        }

        if (end - start - 1 < LongString)
        {
            return false;
        }

        // The state after a string value: read an empty one in the state after the property name.
        var standIn = new Utf8JsonReader("\"\""u8, isFinalBlock: false, _json.CurrentState);
        standIn.Read();
        _json = new Utf8JsonReader(line[(end + 1)..], isFinalBlock: true, standIn.CurrentState);
        _base = end + 1;
        _longStart = start;
        _longEnd = end;
        _longEscaped = escaped;
        return true;
    }

    /// <summary>Whether an escape (the bytes after its backslash) is one <see cref="Utf8JsonReader"/> accepts: <c>" \ / b f n r t</c>, or <c>u</c> and four hex digits.</summary>
    private static bool IsValidEscape(ReadOnlySpan<byte> escape) =>
        !escape.IsEmpty && (escape[0] is (byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t'
            || (escape[0] == (byte)'u' && escape.Length >= 5 && !escape[1..5].ContainsAnyExcept(HexDigits)));

    private static readonly SearchValues<byte> HexDigits = SearchValues.Create("0123456789abcdefABCDEF"u8);

    // What ends the plain run of a string: its closing quote, an escape, or a control character.
    private static readonly SearchValues<byte> StringEndsOrFails = SearchValues.Create(
        [(byte)'"', (byte)'\\', .. Enumerable.Range(0, 0x20).Select(b => (byte)b)]);

    // The long string on its own, as a JSON text of one string, for the reads that decode it.
    private readonly Utf8JsonReader LongValue()
    {
        var value = new Utf8JsonReader(_line[_longStart..(_longEnd + 1)]);
        value.Read();
        return value;
    }
}
