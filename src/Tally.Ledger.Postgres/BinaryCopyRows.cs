using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Tally.Ledger.Postgres;

/// <summary>
/// Rows in PostgreSQL's binary <c>COPY</c> format, encoded into a pooled buffer whose bytes are sent
/// as they are (<see cref="Npgsql.NpgsqlConnection.BeginRawBinaryCopyAsync(string, CancellationToken)"/>),
/// a chunk at a time: the signature first, then rows, then the end marker.
/// </summary>
/// <remarks>
/// <para>
/// Npgsql's row-by-row importer resolves a converter and runs an async state machine for every
/// value; writing the bytes directly costs a fraction of that.
/// </para>
/// <para>
/// The format (PostgreSQL's <c>COPY</c> documentation, "Binary Format"): a signature and two zero
/// 32-bit words; per row, a 16-bit field count, then per field a 32-bit length (-1 for null) and
/// the value in the type's binary send format, all integers big-endian; a 16-bit -1 at the end.
/// Texts are UTF-8 (Npgsql sets the client encoding to UTF-8), invalid UTF-16 replaced as
/// <see cref="Encoding.UTF8"/> does.
/// </para>
/// </remarks>
internal sealed class BinaryCopyRows : IDisposable
{
    /// <summary>"PGCOPY\n\xff\r\n\0".</summary>
    private static ReadOnlySpan<byte> Signature => [0x50, 0x47, 0x43, 0x4F, 0x50, 0x59, 0x0A, 0xFF, 0x0D, 0x0A, 0x00];

    /// <summary>2000-01-01T00:00:00Z, PostgreSQL's epoch for times, in Unix milliseconds.</summary>
    private const long PostgresEpochMs = 946_684_800_000;

    private static readonly long MinTimeMs = DateTimeOffset.MinValue.ToUnixTimeMilliseconds();

    private byte[] _buffer;
    private int _length;

    /// <param name="capacity">The bytes to hold before growing; the buffer grows past it when it must.</param>
    public BinaryCopyRows(int capacity)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(capacity, 4096));
        Signature.CopyTo(_buffer);
        _length = Signature.Length;
        Int32Raw(0); // flags
        Int32Raw(0); // header extension length
    }

    /// <summary>Starts a row of <paramref name="fields"/> values.</summary>
    public void StartRow(int fields)
    {
        Ensure(2);
        BinaryPrimitives.WriteInt16BigEndian(_buffer.AsSpan(_length), (short)fields);
        _length += 2;
    }

    public void Null() => Int32Raw(-1);

    public void Text(string? value)
    {
        if (value is null)
        {
            Null();
            return;
        }

        Ensure(4 + Encoding.UTF8.GetMaxByteCount(value.Length));
        var written = Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_length + 4));
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(_length), written);
        _length += 4 + written;
    }

    public void Int16(short value)
    {
        Ensure(6);
        Int32Raw(2);
        BinaryPrimitives.WriteInt16BigEndian(_buffer.AsSpan(_length), value);
        _length += 2;
    }

    public void Int32(int? value)
    {
        if (value is not { } number)
        {
            Null();
            return;
        }

        Int32Raw(4);
        Int32Raw(number);
    }

    public void Int64(long? value)
    {
        if (value is not { } number)
        {
            Null();
            return;
        }

        Ensure(12);
        Int32Raw(8);
        BinaryPrimitives.WriteInt64BigEndian(_buffer.AsSpan(_length), number);
        _length += 8;
    }

    public void Boolean(bool? value)
    {
        if (value is not { } flag)
        {
            Null();
            return;
        }

        Ensure(5);
        Int32Raw(1);
        _buffer[_length++] = flag ? (byte)1 : (byte)0;
    }

    /// <summary>
    /// A <c>timestamptz</c> kept to the millisecond (microseconds since 2000-01-01 UTC on the wire).
    /// The earliest instant is sent as <c>-infinity</c>, as Npgsql sends <see cref="DateTime.MinValue"/>.
    /// </summary>
    public void Timestamp(DateTimeOffset? value)
    {
        if (value is not { } at)
        {
            Null();
            return;
        }

        var ms = at.ToUnixTimeMilliseconds();
        Int64(ms == MinTimeMs ? long.MinValue : (ms - PostgresEpochMs) * 1000);
    }

    /// <summary>
    /// A <c>numeric</c> rounded to nine places (halves away from zero), as the SQLite ledger keeps
    /// nano-dollars. On the wire: digit count, weight (of the first digit, in powers of 10000),
    /// sign, display scale, then the base-10000 digits, most significant first.
    /// </summary>
    public void Numeric(decimal? value)
    {
        if (value is not { } amount)
        {
            Null();
            return;
        }

        // The rounded amount is nanos / 10^9 for a whole number of nanos below 2^96 * 10^9.
        amount = decimal.Round(amount, 9, MidpointRounding.AwayFromZero);
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(amount, bits);
        var scale = (bits[3] >> 16) & 0xFF;
        var mantissa = ((UInt128)(uint)bits[2] << 64) | ((UInt128)(uint)bits[1] << 32) | (uint)bits[0];
        var nanos = mantissa * Pow10(9 - scale);
        var whole = nanos / 1_000_000_000;
        var fraction = (ulong)(nanos % 1_000_000_000) * 1000; // twelve decimal places: three base-10000 digits

        // At most 8 digits for the whole part (below 10^29) and 3 for the fraction.
        Span<short> digits = stackalloc short[11];
        var count = 0;
        for (var rest = whole; rest != 0; rest /= 10_000)
        {
            count++;
        }

        for (var i = count - 1; i >= 0; i--)
        {
            digits[i] = (short)(ulong)(whole % 10_000);
            whole /= 10_000;
        }

        var weight = count - 1;
        digits[count++] = (short)(fraction / 100_000_000);
        digits[count++] = (short)(fraction / 10_000 % 10_000);
        digits[count++] = (short)(fraction % 10_000);

        // Leading zeros of a fraction move the weight down; trailing zeros are dropped (as the server stores it).
        var first = 0;
        while (first < count && digits[first] == 0)
        {
            first++;
            weight--;
        }

        while (count > first && digits[count - 1] == 0)
        {
            count--;
        }

        var used = count - first;
        Ensure(4 + 8 + (2 * used));
        Int32Raw(8 + (2 * used));
        Int16Raw((short)used);
        Int16Raw((short)(used == 0 ? 0 : weight));
        Int16Raw(used != 0 && amount < 0 ? (short)0x4000 : (short)0);
        Int16Raw(9);
        for (var i = first; i < count; i++)
        {
            Int16Raw(digits[i]);
        }
    }

    /// <summary>How many bytes are encoded and not yet cleared.</summary>
    public int Length => _length;

    /// <summary>The bytes encoded since the last <see cref="Clear"/>; the instance owns them until cleared or disposed.</summary>
    public ReadOnlyMemory<byte> Data => _buffer.AsMemory(0, _length);

    /// <summary>Forgets the bytes encoded so far (once they are sent), keeping the buffer for the next rows.</summary>
    public void Clear() => _length = 0;

    /// <summary>Ends the data: the last bytes to send.</summary>
    public void Complete()
    {
        Ensure(2);
        BinaryPrimitives.WriteInt16BigEndian(_buffer.AsSpan(_length), -1);
        _length += 2;
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    private static UInt128 Pow10(int exponent)
    {
        UInt128 result = 1;
        for (var i = 0; i < exponent; i++)
        {
            result *= 10;
        }

        return result;
    }

    private void Int32Raw(int value)
    {
        Ensure(4);
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(_length), value);
        _length += 4;
    }

    private void Int16Raw(short value)
    {
        BinaryPrimitives.WriteInt16BigEndian(_buffer.AsSpan(_length), value);
        _length += 2;
    }

    private void Ensure(int bytes)
    {
        if (_length + bytes <= _buffer.Length)
        {
            return;
        }

        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + bytes));
        _buffer.AsSpan(0, _length).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = larger;
    }
}
