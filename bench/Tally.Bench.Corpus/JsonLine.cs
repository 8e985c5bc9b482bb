using System.Buffers.Text;
using System.Runtime.CompilerServices;

namespace Tally.Bench.Corpus;

/// <summary>
/// A growable UTF-8 buffer that one JSONL row is written into by hand. Rows are assembled
/// from literals and pre-escaped text, which is several times faster than serialising an
/// object graph per row and keeps the key order exactly as Claude Code writes it.
/// </summary>
internal sealed class JsonLine
{
    private const string Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private const string Hex = "0123456789abcdef";

    private byte[] _buf;
    private int _len;

    public JsonLine(int capacity = 1 << 16) => _buf = new byte[capacity];

    public int Length => _len;

    public ReadOnlySpan<byte> Span => _buf.AsSpan(0, _len);

    public void Clear() => _len = 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Span<byte> Reserve(int n)
    {
        if (_len + n > _buf.Length)
        {
            Grow(n);
        }
        return _buf.AsSpan(_len, n);
    }

    private void Grow(int n)
    {
        int size = Math.Max(_buf.Length * 2, _len + n);
        Array.Resize(ref _buf, size);
    }

    public JsonLine Raw(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(Reserve(bytes.Length));
        _len += bytes.Length;
        return this;
    }

    /// <summary>Appends a copy of bytes already in this line (a payload written twice).</summary>
    public JsonLine Repeat(int start, int length)
    {
        Reserve(length);
        _buf.AsSpan(start, length).CopyTo(_buf.AsSpan(_len));
        _len += length;
        return this;
    }

    /// <summary>Appends a string that the caller guarantees needs no JSON escaping.</summary>
    public JsonLine Ascii(string s)
    {
        int n = System.Text.Encoding.UTF8.GetByteCount(s);
        System.Text.Encoding.UTF8.GetBytes(s, Reserve(n));
        _len += n;
        return this;
    }

    /// <summary>Appends a quoted JSON string, escaping what JSON requires.</summary>
    public JsonLine Quoted(string s)
    {
        Byte((byte)'"');
        TextPools.AppendEscaped(this, s);
        Byte((byte)'"');
        return this;
    }

    public JsonLine Byte(byte b)
    {
        if (_len == _buf.Length)
        {
            Grow(1);
        }
        _buf[_len++] = b;
        return this;
    }

    public JsonLine Long(long v)
    {
        Span<byte> dst = Reserve(20);
        Utf8Formatter.TryFormat(v, dst, out int written);
        _len += written;
        return this;
    }

    /// <summary>An integer right-aligned in a field, the way <c>cat -n</c> numbers lines.</summary>
    public JsonLine Padded(int v, int width)
    {
        Span<byte> tmp = stackalloc byte[12];
        Utf8Formatter.TryFormat(v, tmp, out int written);
        for (int i = written; i < width; i++)
        {
            Byte((byte)' ');
        }
        return Raw(tmp[..written]);
    }

    /// <summary>RFC 3339 UTC with milliseconds: <c>2026-08-01T12:34:56.789Z</c>.</summary>
    public JsonLine Timestamp(long unixMs)
    {
        var dt = DateTime.UnixEpoch.AddMilliseconds(unixMs);
        Span<byte> d = Reserve(24);
        Digits(d[..4], dt.Year);
        d[4] = (byte)'-';
        Digits(d.Slice(5, 2), dt.Month);
        d[7] = (byte)'-';
        Digits(d.Slice(8, 2), dt.Day);
        d[10] = (byte)'T';
        Digits(d.Slice(11, 2), dt.Hour);
        d[13] = (byte)':';
        Digits(d.Slice(14, 2), dt.Minute);
        d[16] = (byte)':';
        Digits(d.Slice(17, 2), dt.Second);
        d[19] = (byte)'.';
        Digits(d.Slice(20, 3), dt.Millisecond);
        d[23] = (byte)'Z';
        _len += 24;
        return this;
    }

    private static void Digits(Span<byte> dst, int v)
    {
        for (int i = dst.Length - 1; i >= 0; i--)
        {
            dst[i] = (byte)('0' + (v % 10));
            v /= 10;
        }
    }

    public static string NewUuid(Rng rng)
    {
        ulong a = rng.NextU64(), b = rng.NextU64();
        Span<char> c = stackalloc char[36];
        int k = 0;
        for (int i = 0; i < 32; i++)
        {
            if (i is 8 or 12 or 16 or 20)
            {
                c[k++] = '-';
            }
            ulong src = i < 16 ? a : b;
            int nibble = (int)((src >> ((i % 16) * 4)) & 0xF);
            if (i == 12)
            {
                nibble = 4;
            }
            else if (i == 16)
            {
                nibble = 8 | (nibble & 3);
            }
            c[k++] = Hex[nibble];
        }
        return new string(c);
    }

    public static string NewBase62(Rng rng, string prefix, int length)
    {
        Span<char> c = stackalloc char[prefix.Length + length];
        prefix.AsSpan().CopyTo(c);
        ulong bits = rng.NextU64();
        int left = 10;
        for (int i = prefix.Length; i < c.Length; i++)
        {
            if (left == 0)
            {
                bits = rng.NextU64();
                left = 10;
            }
            c[i] = Base62[(int)(bits % 62)];
            bits /= 62;
            left--;
        }
        return new string(c);
    }

    public static string NewHex(Rng rng, int length)
    {
        Span<char> c = stackalloc char[length];
        ulong bits = rng.NextU64();
        for (int i = 0; i < length; i++)
        {
            if (i % 16 == 15)
            {
                bits = rng.NextU64();
            }
            c[i] = Hex[(int)(bits & 0xF)];
            bits >>= 4;
        }
        return new string(c);
    }
}
