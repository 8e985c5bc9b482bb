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

    public static string Percent(double? ratio) => ratio is { } r ? (r * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%" : Unknown;
}
