using System.Globalization;

namespace Tally.Sources.Codex;

/// <summary>
/// Reads the timestamps Codex writes (<c>2025-10-01T12:00:00.123Z</c>) straight from their UTF-8
/// bytes. Every rollout line has one, and the general parser costs more than the rest of a short
/// line; for this form both give the same instant, in UTC.
/// </summary>
internal static class CodexTimestamps
{
    private const int SecondsEnd = 19; // "yyyy-MM-ddTHH:mm:ss"
    private const int LongestFraction = 7; // ticks

    /// <summary>
    /// Reads <c>yyyy-MM-ddTHH:mm:ss</c>, an optional fraction of 1 to 7 digits and <c>Z</c>, as
    /// <see cref="DateTimeOffset.TryParse(string, IFormatProvider, DateTimeStyles, out DateTimeOffset)"/>
    /// with <see cref="DateTimeStyles.AssumeUniversal"/> and <see cref="DateTimeStyles.AdjustToUniversal"/>
    /// reads it. False for anything else (an offset, more digits, no such date), which is for that parser to read.
    /// </summary>
    public static bool TryParseUtc(ReadOnlySpan<byte> text, out DateTimeOffset time)
    {
        time = default;
        if (text.Length < SecondsEnd + 1 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':'
            || text[16] != ':' || text[^1] != 'Z'
            || !Digits(text[..4], out var year) || !Digits(text[5..7], out var month) || !Digits(text[8..10], out var day)
            || !Digits(text[11..13], out var hour) || !Digits(text[14..16], out var minute) || !Digits(text[17..19], out var second))
        {
            return false;
        }

        long ticks = 0;
        if (text.Length > SecondsEnd + 1)
        {
            var fraction = text[(SecondsEnd + 1)..^1];
            if (text[SecondsEnd] != '.' || fraction.Length is 0 or > LongestFraction || !Digits(fraction, out ticks))
            {
                return false;
            }

            for (var i = fraction.Length; i < LongestFraction; i++)
            {
                ticks *= 10;
            }
        }

        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth((int)year, (int)month)
            || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }

        time = new DateTimeOffset((int)year, (int)month, (int)day, (int)hour, (int)minute, (int)second, TimeSpan.Zero).AddTicks(ticks);
        return true;
    }

    private static bool Digits(ReadOnlySpan<byte> text, out long value)
    {
        value = 0;
        foreach (var digit in text)
        {
            if (digit is < (byte)'0' or > (byte)'9')
            {
                return false;
            }

            value = value * 10 + (digit - '0');
        }

        return true;
    }
}
