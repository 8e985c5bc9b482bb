using System.Buffers;
using System.Text;
using System.Text.Json;
using Tally.Model;
using Tally.Reports;

namespace Tally.Cli.Rendering;

/// <summary>
/// Tally's JSON: camelCase, keys in a fixed order, <c>null</c> for unknown, money as exact
/// decimals. It is a public contract read by scripts: add fields freely, rename none.
/// </summary>
internal static class JsonOutput
{
    public static string Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            write(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static void Number(this Utf8JsonWriter writer, string name, long? value)
    {
        if (value is { } v)
        {
            writer.WriteNumber(name, v);
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    /// <summary>Money rounded to 1e-10 USD with trailing zeros dropped (0.0412, not 0.041200000000).</summary>
    public static void Money(this Utf8JsonWriter writer, string name, decimal? value)
    {
        if (value is { } v)
        {
            writer.WriteNumber(name, decimal.Round(v, 10) / 1.000000000000000000000000000000000m);
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    public static void Ratio(this Utf8JsonWriter writer, string name, double? value)
    {
        if (value is { } v)
        {
            writer.WriteNumber(name, Math.Round(v, 4));
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    public static void Tokens(this Utf8JsonWriter writer, string name, TokenUsage tokens)
    {
        writer.WriteStartObject(name);
        writer.Number("input", tokens.Input);
        writer.Number("cacheRead", tokens.CacheRead);
        writer.Number("cacheWrite5m", tokens.CacheWrite5m);
        writer.Number("cacheWrite1h", tokens.CacheWrite1h);
        writer.Number("output", tokens.Output);
        writer.Number("reasoning", tokens.Reasoning);
        writer.WriteEndObject();
    }

    /// <summary>A usage row's fields, inside an object the caller opened.</summary>
    public static void UsageFields(this Utf8JsonWriter writer, UsageRow row)
    {
        writer.WriteNumber("calls", row.Calls);
        writer.Tokens("tokens", row.Tokens);
        writer.WriteNumber("billedTokens", row.Tokens.BilledTokens);
        writer.Money("cost", row.Cost);
        writer.Ratio("cacheHitRatio", row.CacheHitRatio);
        writer.WriteNumber("unpricedCalls", row.UnpricedCalls);
    }
}
