using System.Globalization;

namespace Tally.Cli.Rendering;

/// <summary>How numbers look in tables: thousands separators, <c>—</c> for unknown.</summary>
internal static class Formats
{
    public const string Unknown = "—";

    public static string Count(long? value) => value is { } v ? v.ToString("N0", CultureInfo.InvariantCulture) : Unknown;

    /// <summary>Dollars: cents for a dollar or more, four places below that so small costs don't read as zero.</summary>
    public static string Money(decimal? value) => value switch
    {
        null => Unknown,
        { } v when v != 0 && Math.Abs(v) < 0.0001m => (v < 0 ? "-" : "") + "<$0.0001",
        { } v when v != 0 && Math.Abs(v) < 1 => "$" + v.ToString("0.0000", CultureInfo.InvariantCulture),
        { } v => "$" + v.ToString("N2", CultureInfo.InvariantCulture),
    };

    /// <summary>Bytes in decimal SI units: <c>512 B</c>, <c>4.2 kB</c>, <c>4.2 MB</c>, <c>1.1 GB</c>; <c>—</c> when never measured.</summary>
    public static string Bytes(long? value)
    {
        if (value is not { } v)
        {
            return Unknown;
        }

        string[] units = ["kB", "MB", "GB", "TB", "PB"];
        if (Math.Abs(v) < 1000)
        {
            return v.ToString(CultureInfo.InvariantCulture) + " B";
        }

        var scaled = (double)v;
        var unit = -1;
        // Rounding to one place may carry into the next unit (999,999 B is 1.0 MB, not 1000.0 kB).
        while (unit < units.Length - 1 && Math.Round(Math.Abs(scaled), 1) >= 1000)
        {
            scaled /= 1000;
            unit++;
        }

        return scaled.ToString("0.0", CultureInfo.InvariantCulture) + " " + units[unit];
    }

    public static string Percent(double? ratio) => ratio is { } r ? (r * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%" : Unknown;
}
