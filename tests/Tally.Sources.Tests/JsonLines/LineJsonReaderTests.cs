using System.Text;
using System.Text.Json;
using Tally.Sources.JsonLines;

namespace Tally.Sources.Tests.JsonLines;

public sealed class LineJsonReaderTests
{
    private static readonly string LongText = string.Concat(Enumerable.Repeat("line \\\"quoted\\\" \\u00e9\\n", 12));

    public static TheoryData<string> Lines => new()
    {
        // A long escaped string between other members, inside nested objects and arrays.
        $$$"""{"a":1,"text":"{{{LongText}}}","b":[{"c":"{{{LongText}}}"},"{{{LongText}}}"],"d":{"e":null}}""",
        // White space around the colon, a long string last in its object, a backslash just before the closing quote.
        $$$"""{ "x" :   "{{{LongText}}}\\" , "y" : { "z" : "{{{LongText}}}" } }""",
        // A long string without escapes and a short one with them.
        $$$"""{"plain":"{{{new string('p', 300)}}}","short":"a\nb"}""",
        // Exactly at the threshold, and one byte under it.
        $$$"""{"at":"{{{new string('q', LineJsonReader.LongString)}}}","under":"{{{new string('r', LineJsonReader.LongString - 1)}}}"}""",
    };

    [Theory]
    [MemberData(nameof(Lines))]
    public void Tokens_AreThoseOfUtf8JsonReader(string line)
    {
        Assert.Equal(Utf8Tokens(Encoding.UTF8.GetBytes(line)), LineTokens(Encoding.UTF8.GetBytes(line)));
    }

    [Fact]
    public void Tokens_AreThoseOfUtf8JsonReader_ForEveryClaudeFixtureLine()
    {
        var lines = 0;
        foreach (var path in Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "Fixtures", "claude"), "*.jsonl", SearchOption.AllDirectories))
        {
            foreach (var line in File.ReadAllLines(path))
            {
                var bytes = Encoding.UTF8.GetBytes(line);
                Assert.Equal(Utf8Tokens(bytes), LineTokens(bytes));
                lines++;
            }
        }

        Assert.True(lines > 20, $"only {lines} fixture lines were compared");
    }

    [Fact]
    public void LongString_DecodesAndComparesAsTheTokenizedValue()
    {
        var text = "é \"quoted\" " + new string('x', 200) + "\n😀";
        var line = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { text, after = 1 }));
        var reader = new LineJsonReader(line, default);
        reader.Read(); // {
        reader.Read(); // "text"
        reader.Read();
        Assert.Equal(JsonTokenType.String, reader.TokenType);
        Assert.True(reader.ValueIsEscaped);

        var buffer = new byte[1024];
        Assert.Equal(text, Encoding.UTF8.GetString(buffer, 0, reader.CopyString(buffer)));
        Assert.Equal(text, reader.GetString());
        Assert.True(reader.ValueTextEquals(Encoding.UTF8.GetBytes(text)));
        Assert.False(reader.ValueTextEquals("é"u8));
        Assert.Equal(Encoding.UTF8.GetByteCount(text), JsonStringLength.Unescaped(reader.ValueSpan));

        Assert.True(reader.Read());
        Assert.Equal(JsonTokenType.PropertyName, reader.TokenType);
        Assert.True(reader.ValueTextEquals("after"u8));
    }

    [Fact]
    public void LongDate_IsParsedAsTheTokenizedValueWouldBe()
    {
        // A date spelt with \u escapes is long as raw bytes but a valid date once decoded.
        var escaped = string.Concat("2026-11-23T10:00:00Z".Select(c => $"\\u{(int)c:x4}"));
        var line = Encoding.UTF8.GetBytes($$$"""{"timestamp":"{{{escaped}}}"}""");
        var reader = new LineJsonReader(line, default);
        reader.Read();
        reader.Read();
        reader.Read();
        Assert.True(reader.TryGetDateTimeOffset(out var at));
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero), at);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void UnterminatedLongString_FailsAsUtf8JsonReaderDoes(bool endsInBackslash)
    {
        var line = Encoding.UTF8.GetBytes("{\"text\":\"" + new string('x', 300) + (endsInBackslash ? "\\" : ""));
        Assert.Equal(NotValid, LineTokens(line)[^1]);
        Assert.Equal(Utf8Tokens(line), LineTokens(line));
    }

    [Theory]
    [InlineData("""\n\t\"\\\/\b\f\r""")] // every one-character escape
    [InlineData("""\u00e9\uD83D\uDE00\uabCD""")] // \u escapes, either case, surrogates unchecked
    [InlineData("\u007f é 😀")] // DEL and non-ASCII are plain bytes
    [InlineData("""\q""")] // not an escape
    [InlineData("""\u12g4""")] // not a hex digit
    [InlineData("""\u12""")] // too few hex digits before the closing quote
    [InlineData("\u0001")] // control characters must be escaped
    [InlineData("\t")]
    [InlineData("\u001f")]
    [InlineData("""\""")] // the backslash escapes the closing quote: unterminated
    public void LineWithALongString_IsValidExactlyWhenUtf8JsonReaderSaysSo(string insert)
    {
        var plain = new string('x', LineJsonReader.LongString);
        foreach (var value in (string[])[insert + plain, plain + insert, plain[..10] + insert + plain])
        {
            var line = Encoding.UTF8.GetBytes("{\"a\":{\"text\":\"" + value + "\",\"n\":[1,\"" + plain + "\"]},\"b\":2}");

            Assert.Equal(Utf8Tokens(line), LineTokens(line));
        }
    }

    [Fact]
    public void SkippedLongString_LeavesTheReaderAtTheNextMember()
    {
        var line = Encoding.UTF8.GetBytes($$$"""{"text":"{{{LongText}}}","n":42}""");
        var reader = new LineJsonReader(line, default);
        reader.Read();
        reader.Read();
        reader.Read();
        reader.Skip();
        Assert.True(reader.Read());
        Assert.True(reader.ValueTextEquals("n"u8));
        reader.Read();
        Assert.True(reader.TryGetInt64(out var n));
        Assert.Equal(42, n);
    }

    // Each token as type, start and end (from the line's start), depth and raw value with its
    // escaped flag; or, at the end, that the read failed.
    private static List<string> Utf8Tokens(byte[] line)
    {
        var tokens = new List<string>();
        try
        {
            var reader = new Utf8JsonReader(line);
            while (reader.Read())
            {
                tokens.Add(Describe(reader.TokenType, reader.TokenStartIndex, reader.BytesConsumed, reader.CurrentDepth, reader.ValueSpan, reader.ValueIsEscaped));
            }
        }
        catch (JsonException)
        {
            tokens.Add(NotValid);
        }

        return tokens;
    }

    private static List<string> LineTokens(byte[] line)
    {
        var tokens = new List<string>();
        try
        {
            var reader = new LineJsonReader(line, default);
            while (reader.Read())
            {
                tokens.Add(Describe(reader.TokenType, reader.TokenStartIndex, reader.BytesConsumed, reader.CurrentDepth, reader.ValueSpan, reader.ValueIsEscaped));
            }
        }
        catch (JsonException)
        {
            tokens.Add(NotValid);
        }

        return tokens;
    }

    private const string NotValid = "not valid JSON";

    private static string Describe(JsonTokenType type, long start, long end, int depth, ReadOnlySpan<byte> value, bool escaped) =>
        $"{type}@{start}-{end}/{depth}:{Encoding.UTF8.GetString(value)}:{escaped}";
}
