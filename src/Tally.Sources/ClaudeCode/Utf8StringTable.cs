using System.Text;

namespace Tally.Sources.ClaudeCode;

/// <summary>
/// Turns UTF-8 slices into strings without allocating for values seen before: a transcript repeats
/// its session id, working directory, model, tool names and stop reasons on every row. Unique
/// values (ids) are not kept here; they are looked up by their bytes instead (a streamed message
/// repeats its id on each of its rows). One table serves one read (it is not thread-safe).
/// </summary>
internal sealed class Utf8StringTable
{
    // Ids, names and paths fit on the stack; longer values take the slow path.
    private const int StackChars = 256;

    private readonly Dictionary<string, string> _strings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public Utf8StringTable() => _lookup = _strings.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>The string for <paramref name="utf8"/>, shared with every earlier equal value.</summary>
    public string Intern(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > StackChars)
        {
            var decoded = Encoding.UTF8.GetString(utf8);
            return _lookup.TryGetValue(decoded, out var existing) ? existing : _strings[decoded] = decoded;
        }

        Span<char> chars = stackalloc char[StackChars];
        var length = Encoding.UTF8.GetChars(utf8, chars);
        if (_lookup.TryGetValue(chars[..length], out var known))
        {
            return known;
        }

        var value = new string(chars[..length]);
        _strings[value] = value;
        return value;
    }

    /// <summary>A new string for a value that is unique (an id), not worth remembering.</summary>
    public static string Decode(ReadOnlySpan<byte> utf8) => Encoding.UTF8.GetString(utf8);

    /// <summary>Looks <paramref name="utf8"/> up in a string-keyed dictionary without making a string.</summary>
    public static bool TryGetValue<T>(Dictionary<string, T>.AlternateLookup<ReadOnlySpan<char>> lookup, ReadOnlySpan<byte> utf8, out T value)
    {
        if (utf8.Length > StackChars)
        {
            return lookup.TryGetValue(Encoding.UTF8.GetString(utf8), out value!);
        }

        Span<char> chars = stackalloc char[StackChars];
        var length = Encoding.UTF8.GetChars(utf8, chars);
        return lookup.TryGetValue(chars[..length], out value!);
    }
}
