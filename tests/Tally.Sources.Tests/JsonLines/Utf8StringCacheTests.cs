using System.Text;
using Tally.Sources.JsonLines;

namespace Tally.Sources.Tests.JsonLines;

public sealed class Utf8StringCacheTests
{
    [Fact]
    public void SameBytes_GiveTheSameString()
    {
        var cache = new Utf8StringCache();

        var first = cache.Get("gpt-5-codex"u8);
        var second = cache.Get("gpt-5-codex"u8);

        Assert.Equal("gpt-5-codex", first);
        Assert.Same(first, second);
    }

    [Theory]
    [InlineData("")]
    [InlineData("/home/dev/src/café")] // not ASCII: decoded, not kept
    [InlineData("a string longer than the longest one kept, which is one hundred and twenty-eight bytes; it is decoded every time it is asked for")]
    public void AnyValue_DecodesAsUtf8(string text)
    {
        var cache = new Utf8StringCache();

        Assert.Equal(text, cache.Get(Encoding.UTF8.GetBytes(text)));
        Assert.Equal(text, cache.Get(Encoding.UTF8.GetBytes(text)));
    }

    [Fact]
    public void BytesThatAreNotUtf8_ThrowAsUtf8JsonReaderGetStringDoes()
    {
        var cache = new Utf8StringCache();

        Assert.Throws<InvalidOperationException>(() => cache.Get([(byte)'a', 0xFF]));
        Assert.Throws<InvalidOperationException>(() => cache.Get([0xED, 0xA0, 0x80])); // an encoded surrogate
    }
}
