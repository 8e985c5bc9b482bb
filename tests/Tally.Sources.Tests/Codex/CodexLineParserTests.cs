using System.Globalization;
using System.Text;
using Tally.Sources.Codex;

namespace Tally.Sources.Tests.Codex;

/// <summary>
/// The line parser reads a payload where it stands when the line's type came first; whatever the
/// order of the properties, a line must read as it would if the payload were read after the whole
/// line had been checked.
/// </summary>
public sealed class CodexLineParserTests
{
    private const string TokenCount =
        """{"type":"token_count","info":{"total_token_usage":{"input_tokens":10,"cached_input_tokens":4,"output_tokens":3},"model":"gpt-5"}}""";

    private const string FunctionCall =
        """{"type":"function_call","name":"shell","arguments":"{\"command\":[\"ls\"]}","call_id":"call_1"}""";

    [Theory]
    [InlineData("event_msg", TokenCount)]
    [InlineData("response_item", FunctionCall)]
    public void PayloadBeforeItsType_ReadsAsAfterIt(string type, string payload)
    {
        var typeFirst = Parse($$"""{"timestamp":"2025-10-01T12:00:00.123Z","type":"{{type}}","payload":{{payload}}}""");
        var payloadFirst = Parse($$"""{"payload":{{payload}},"type":"{{type}}","timestamp":"2025-10-01T12:00:00.123Z"}""");

        Assert.Null(typeFirst.Error);
        Assert.Equal(Describe(typeFirst.Line), Describe(payloadFirst.Line));
    }

    [Fact]
    public void LaterTypeOrPayload_OverridesTheOneReadFirst()
    {
        const string Forked = """{"id":"s2","forked_from_id":"s1"}""";
        var retyped = Parse($$"""{"type":"event_msg","payload":{{Forked}},"type":"session_meta"}""");
        var untyped = Parse($$"""{"type":"event_msg","payload":{{TokenCount}},"type":"compacted"}""");
        var repaid = Parse($$"""{"type":"event_msg","payload":{{TokenCount}},"payload":{"type":"token_count","info":null},"payload":7}""");

        Assert.Equal((CodexLineType.SessionMeta, "s2", true), (retyped.Line.Type, retyped.Line.Id, retyped.Line.ForkMarker)); // a fork only in a session_meta
        Assert.Equal((CodexLineType.Other, CodexPayloadType.Other, false), (untyped.Line.Type, untyped.Line.PayloadType, untyped.Line.HasInfo));
        Assert.Equal((true, false, (CodexCounts?)null), (repaid.Line.InfoIsNull, repaid.Line.HasInfo, repaid.Line.Total));
    }

    [Fact]
    public void PayloadWithAReason_IsNotValidJson_WhenTheLineIsNot()
    {
        const string Line = """{"timestamp":"2025-10-01T12:00:00Z","type":"event_msg","payload":{"type":"token_count","info":5,"rest":[1,2]}}""";

        Assert.Equal("token_count info is not an object", Parse(Line).Error);
        Assert.Equal("not valid JSON", Parse(Line[..^1] + ",}").Error);
        Assert.Equal("not valid JSON", Parse(Line.Replace("[1,2]", "[1,,2]", StringComparison.Ordinal)).Error);
    }

    [Fact]
    public void StringsTheReaderWouldDecode_ThatAreNotUtf8_MakeTheLineUnusable()
    {
        var badTimestamp = Encoding.UTF8.GetBytes("""{"timestamp":"2025-10-01T12:00:00Z?","type":"event_msg","payload":{"type":"token_count","info":null}}""");
        badTimestamp[Array.IndexOf(badTimestamp, (byte)'?')] = 0xFF;
        var badType = Encoding.UTF8.GetBytes("""{"type":"response_item","payload":{"type":"function_call?","call_id":"c"}}""");
        badType[Array.IndexOf(badType, (byte)'?')] = 0xC3;

        Assert.Equal("unexpected JSON value type", CodexLineParser.Parse(badTimestamp, new CodexLine()));
        Assert.Equal("unexpected JSON value type", CodexLineParser.Parse(badType, new CodexLine()));
    }

    [Theory]
    [InlineData("2025-10-01T12:00:00Z")]
    [InlineData("2025-10-01T12:00:00.1Z")]
    [InlineData("2025-10-01T12:00:00.123Z")]
    [InlineData("2025-10-01T23:59:59.9999999Z")]
    [InlineData("2024-02-29T00:00:00.000Z")]
    [InlineData("0001-01-01T00:00:00Z")]
    [InlineData("9999-12-31T23:59:59.9999999Z")]
    public void Timestamp_InCodexForm_ReadsAsTheGeneralParserReadsIt(string text)
    {
        Assert.True(CodexTimestamps.TryParseUtc(Encoding.ASCII.GetBytes(text), out var time));
        Assert.Equal(General(text), time);
        Assert.Equal(TimeSpan.Zero, time.Offset);
    }

    [Theory]
    [InlineData("2025-10-01T12:00:00+02:00")]
    [InlineData("2025-10-01T12:00:00")]
    [InlineData("2025-10-01T12:00:00.12345678Z")]
    [InlineData("2025-10-01T12:00:00.Z")]
    [InlineData("2025-10-01t12:00:00z")]
    [InlineData("2025-10-01 12:00:00Z")]
    [InlineData("2025-02-29T12:00:00Z")]
    [InlineData("2025-10-01T24:00:00Z")]
    [InlineData("2025-10-01T12:00:60Z")]
    [InlineData("0000-01-01T00:00:00Z")]
    [InlineData("2025-1a-01T12:00:00Z")]
    [InlineData("")]
    public void Timestamp_InAnyOtherForm_IsLeftToTheGeneralParser(string text)
    {
        Assert.False(CodexTimestamps.TryParseUtc(Encoding.ASCII.GetBytes(text), out _));
    }

    [Fact]
    public void Timestamps_ReadAsTheGeneralParserReadsThem_AcrossDatesAndFractions()
    {
        var random = new Random(20251001);
        for (var i = 0; i < 20_000; i++)
        {
            var instant = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddTicks(random.NextInt64(TimeSpan.TicksPerDay * 365 * 40));
            var digits = random.Next(0, 8);
            var text = instant.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture)
                + (digits == 0 ? "" : "." + (instant.Ticks % TimeSpan.TicksPerSecond).ToString("D7", CultureInfo.InvariantCulture)[..digits]) + "Z";

            Assert.True(CodexTimestamps.TryParseUtc(Encoding.ASCII.GetBytes(text), out var time), text);
            Assert.Equal(General(text), time);
        }
    }

    private static DateTimeOffset General(string text) =>
        DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    private static (CodexLine Line, string? Error) Parse(string text)
    {
        var line = new CodexLine();
        return (line, CodexLineParser.Parse(Encoding.UTF8.GetBytes(text), line));
    }

    private static object Describe(CodexLine line) => (
        line.Type, line.PayloadType, line.Time, line.Timestamp, line.HasInfo, line.Total, line.Last, line.InfoModel,
        line.CallId, line.Name, line.Arguments, line.Input, line.HasOutput, line.OutputBytes);
}
