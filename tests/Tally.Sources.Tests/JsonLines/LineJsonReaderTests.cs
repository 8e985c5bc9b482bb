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
                List<string> expected;
                try
                {
                    expected = Utf8Tokens(bytes);
                }
                catch (JsonException)
                {
                    continue; // the fixtures' deliberately broken lines
                }

                Assert.Equal(expected, LineTokens(bytes));
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
        Assert.ThrowsAny<JsonException>(() => LineTokens(line));
    }

    [Fact]
    public void LongString_IsNotValidated_UntilDecoded()
    {
        // An invalid escape in a long value: Utf8JsonReader rejects the line; passed over, it is no error.
        var line = Encoding.UTF8.GetBytes("{\"text\":\"\\q" + new string('x', LineJsonReader.LongString) + "\",\"n\":1}");
        Assert.ThrowsAny<JsonException>(() => Utf8Tokens(line));

        var reader = new LineJsonReader(line, default);
        reader.Read();
        reader.Read();
        reader.Read();
        Assert.Equal(LineJsonReader.LongString + 2, reader.ValueSpan.Length);
        Assert.True(reader.Read());
        Assert.True(reader.ValueTextEquals("n"u8));

        Assert.ThrowsAny<JsonException>(() =>
        {
            var decoded = new LineJsonReader(line, default);
            decoded.Read();
            decoded.Read();
            decoded.Read();
            return decoded.CopyString(new byte[LineJsonReader.LongString]);
        });
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

    // Each token as type, start (from the line's start) and raw value, with its escaped flag.
    private static List<string> Utf8Tokens(byte[] line)
    {
        var tokens = new List<string>();
        var reader = new Utf8JsonReader(line);
        while (reader.Read())
        {
            tokens.Add(Describe(reader.TokenType, reader.TokenStartIndex, reader.ValueSpan, reader.ValueIsEscaped));
        }

        return tokens;
    }

    private static List<string> LineTokens(byte[] line)
    {
        var tokens = new List<string>();
        var reader = new LineJsonReader(line, default);
        while (reader.Read())
        {
            tokens.Add(Describe(reader.TokenType, reader.TokenStartIndex, reader.ValueSpan, reader.ValueIsEscaped));
        }

        return tokens;
    }

    private static string Describe(JsonTokenType type, long start, ReadOnlySpan<byte> value, bool escaped) =>
        $"{type}@{start}:{Encoding.UTF8.GetString(value)}:{escaped}";
}
