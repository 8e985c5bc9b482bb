using System.Text;

namespace Tally.Ledger.Sqlite;

/// <summary>
/// Numbers the distinct UTF-8 values a scan meets (models, sources, sessions), straight from the
/// column's bytes: a scan sees the same few values over and over, and should neither decode nor
/// allocate a string for each row. <see cref="Text"/> gives the string back, once per value.
/// </summary>
internal sealed class Utf8Interner
{
    private readonly Dictionary<byte[], int> _ids = new(ByteComparer.Instance);
    private readonly Dictionary<byte[], int>.AlternateLookup<ReadOnlySpan<byte>> _lookup;
    private readonly List<string> _texts = [];

    public Utf8Interner() => _lookup = _ids.GetAlternateLookup<ReadOnlySpan<byte>>();

    /// <summary>The id of a value, numbering it if it is new.</summary>
    public int Id(ReadOnlySpan<byte> utf8)
    {
        if (!_lookup.TryGetValue(utf8, out var id))
        {
            id = _texts.Count;
            _texts.Add(Encoding.UTF8.GetString(utf8));
            _ids.Add(utf8.ToArray(), id);
        }

        return id;
    }

    /// <summary>The value an id stands for.</summary>
    public string Text(int id) => _texts[id];

    /// <summary>Compares UTF-8 byte arrays by content, and looks them up by span without allocating.</summary>
    internal sealed class ByteComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
    {
        public static readonly ByteComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => GetHashCode((ReadOnlySpan<byte>)obj);

        public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

        public int GetHashCode(ReadOnlySpan<byte> alternate)
        {
            var hash = new HashCode();
            hash.AddBytes(alternate);
            return hash.ToHashCode();
        }

        public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
    }
}
