using System.Text;

namespace Tally.Ledger.Sqlite;

/// <summary>
/// Turns UTF-8 column values into strings, one instance per distinct value: a scan sees the
/// same few models, sources and sessions over and over, and should not allocate a string for each.
/// </summary>
internal sealed class Utf8Interner
{
    private readonly HashSet<string> _strings = new(StringComparer.Ordinal);
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private char[] _chars = new char[128];

    public Utf8Interner() => _lookup = _strings.GetAlternateLookup<ReadOnlySpan<char>>();

    public string Get(ReadOnlySpan<byte> utf8)
    {
        var length = Encoding.UTF8.GetMaxCharCount(utf8.Length);
        if (_chars.Length < length)
        {
            _chars = new char[Math.Max(length, _chars.Length * 2)];
        }

        var chars = _chars.AsSpan(0, Encoding.UTF8.GetChars(utf8, _chars));
        if (!_lookup.TryGetValue(chars, out var value))
        {
            value = new string(chars);
            _strings.Add(value);
        }

        return value;
    }
}
