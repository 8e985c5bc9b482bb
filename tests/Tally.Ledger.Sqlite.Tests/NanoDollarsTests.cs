namespace Tally.Ledger.Sqlite.Tests;

public sealed class NanoDollarsTests
{
    [Theory]
    [InlineData("0.123456789", 123_456_789)]
    [InlineData("0", 0)]
    [InlineData("12345.000000001", 12_345_000_000_001)]
    [InlineData("-0.25", -250_000_000)]
    public void FromDollars_ExactAmounts_RoundTrip(string dollars, long nanos)
    {
        var amount = decimal.Parse(dollars, System.Globalization.CultureInfo.InvariantCulture);

        Assert.Equal(nanos, NanoDollars.FromDollars(amount));
        Assert.Equal(amount, NanoDollars.ToDollars(nanos));
    }

    [Theory]
    [InlineData("0.0000000004", 0)]
    [InlineData("0.0000000005", 1)]      // halves round away from zero
    [InlineData("0.0000000015", 2)]
    [InlineData("-0.0000000005", -1)]
    [InlineData("0.00000000149999", 1)]
    public void FromDollars_BeyondNinePlaces_RoundsToNearest(string dollars, long nanos)
    {
        Assert.Equal(nanos, NanoDollars.FromDollars(decimal.Parse(dollars, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void FromDollars_BeyondTheRange_Throws()
    {
        Assert.Throws<OverflowException>(() => NanoDollars.FromDollars(10_000_000_000m));
    }
}
