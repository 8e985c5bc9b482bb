using Tally.Ledger;

namespace Tally.Core.Tests.Ledger;

public sealed class Utf8OrderTests
{
    [Theory]
    [InlineData("a", "a", 0)]
    [InlineData("a", "ab", -1)]
    [InlineData("claude-code", "claude-codex", -1)]
    [InlineData("msg_01B", "msg_01A", 1)]
    [InlineData("", "a", -1)]
    // U+FFFF is below every code point beyond it, though its UTF-16 unit is above their surrogates.
    [InlineData("x\uffff", "x\U0001F600", -1)]
    [InlineData("x\U0001F600", "x\uE000", 1)]
    [InlineData("x\U0001F600", "x\U0001F601", -1)]
    public void Utf8Order_IsCodePointOrder(string a, string b, int expected)
    {
        Assert.Equal(expected, Math.Sign(Utf8Order.Compare(a, b)));
        Assert.Equal(-expected, Math.Sign(Utf8Order.Compare(b, a)));
        Assert.Equal(expected, Math.Sign(string.CompareOrdinal(Utf8Key(a), Utf8Key(b))));
    }

    /// <summary>The UTF-8 bytes as a string of Latin-1 characters, which compare ordinally as the bytes do.</summary>
    private static string Utf8Key(string s) => string.Concat(System.Text.Encoding.UTF8.GetBytes(s).Select(b => (char)b));
}
