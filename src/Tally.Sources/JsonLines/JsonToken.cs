using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Tally.Sources.JsonLines;

/// <summary>
/// Where a value lies in a JSON text that a <see cref="LineJsonReader"/> has read: its kind, and for a
/// string or a number its bytes (a string's without its quotes, still escaped). A reader notes the
/// values it wants in one pass and decodes only those it uses, once the whole text has proved valid
/// JSON. Decoding follows <see cref="Utf8JsonReader.GetString"/>, down to what it throws.
/// </summary>
/// <remarks>The default value is an absent one (<see cref="JsonTokenType.None"/>).</remarks>
internal readonly struct JsonToken
{
    private const string InvalidUtf8 = "Cannot transcode invalid UTF-8 JSON text to UTF-16 string.";

    private readonly int _start;
    private readonly int _length;
    private readonly long? _int64;
    private readonly double _double;

    /// <summary>Notes the value the reader is on; for a container, only that it is one.</summary>
    public JsonToken(ref LineJsonReader reader)
    {
        Kind = reader.TokenType;
        switch (Kind)
        {
            case JsonTokenType.String:
                _start = checked((int)reader.TokenStartIndex + 1);
                _length = reader.ValueSpan.Length;
                IsEscaped = reader.ValueIsEscaped;
                break;
            case JsonTokenType.Number:
                _start = checked((int)reader.TokenStartIndex);
                _length = reader.ValueSpan.Length;
                _int64 = reader.TryGetInt64(out var whole) ? whole : null;
                _double = _int64 is null ? reader.GetDouble() : 0;
                break;
        }
    }

    /// <summary>The value's type; <see cref="JsonTokenType.None"/> when it was absent.</summary>
    public JsonTokenType Kind { get; }

    /// <summary>Whether a string holds escapes.</summary>
    public bool IsEscaped { get; }

    /// <summary>A number as <see cref="Utf8JsonReader.TryGetInt64(out long)"/> reads it; null when it does not.</summary>
    public long? Int64 => _int64;

    /// <summary>A number that <see cref="Int64"/> does not read, as <see cref="Utf8JsonReader.GetDouble"/> reads it.</summary>
    public double Double => _double;

    /// <summary>A JSON boolean's value, else null.</summary>
    public bool? Boolean => Kind switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        _ => null,
    };

    /// <summary>A string's bytes between its quotes (still escaped), or a number's text.</summary>
    public ReadOnlySpan<byte> Raw(ReadOnlySpan<byte> json) => json.Slice(_start, _length);

    /// <summary>A string's value, else null.</summary>
    /// <exception cref="InvalidOperationException">The value is not valid UTF-8, or escapes half a surrogate pair.</exception>
    public string? String(ReadOnlySpan<byte> json) =>
        Kind != JsonTokenType.String ? null
        : IsEscaped ? Unescape(json)
        : Utf8StringCache.Decode(Raw(json));

    /// <summary>A string's value, else null; a value that recurs from record to record comes from <paramref name="cache"/>.</summary>
    /// <exception cref="InvalidOperationException">The value is not valid UTF-8, or escapes half a surrogate pair.</exception>
    public string? String(ReadOnlySpan<byte> json, Utf8StringCache cache) =>
        Kind != JsonTokenType.String ? null
        : IsEscaped ? Unescape(json)
        : cache.Get(Raw(json));

    /// <summary>A string's value, else null; <paramref name="known"/> itself when the value equals it.</summary>
    /// <exception cref="InvalidOperationException">The value is not valid UTF-8, or escapes half a surrogate pair.</exception>
    public string? String(ReadOnlySpan<byte> json, string? known) =>
        known is not null && Kind == JsonTokenType.String && !IsEscaped && Ascii.Equals(Raw(json), known)
            ? known
            : String(json);

    /// <summary>Whether this is a string whose value is <paramref name="text"/>, decoding it as <see cref="String(ReadOnlySpan{byte})"/> does.</summary>
    /// <exception cref="InvalidOperationException">The value is not valid UTF-8, or escapes half a surrogate pair.</exception>
    public bool TextEquals(ReadOnlySpan<byte> json, string text)
    {
        if (Kind != JsonTokenType.String)
        {
            return false;
        }

        if (IsEscaped)
        {
            return Unescape(json) == text;
        }

        var raw = Raw(json);
        return Utf8.IsValid(raw) ? Ascii.Equals(raw, text) : throw new InvalidOperationException(InvalidUtf8);
    }

    /// <summary>A string's length once decoded to UTF-8, measured in place (<see cref="JsonStringLength"/>); else null.</summary>
    public long? Utf8Length(ReadOnlySpan<byte> json) =>
        Kind != JsonTokenType.String ? null
        : IsEscaped ? JsonStringLength.Unescaped(Raw(json))
        : _length;

    /// <summary>A number as a decimal parsed from its own text, so a stated figure is kept exactly (no trip through double); else null.</summary>
    public decimal? Decimal(ReadOnlySpan<byte> json) =>
        Kind == JsonTokenType.Number && decimal.TryParse(Raw(json), NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : null;

    private string Unescape(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json.Slice(_start - 1, _length + 2)); // with its quotes
        reader.Read();
        return reader.GetString()!;
    }
}
