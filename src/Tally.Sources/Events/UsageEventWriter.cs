using System.Buffers;
using System.Text.Json;
using Tally.Model;

namespace Tally.Sources.Events;

/// <summary>
/// Writes calls as usage events in Tally's own schema, <c>tally.llm_call/1</c>: one flat JSON
/// object per line, exactly what <c>tally import</c> reads back (<see cref="UsageEventFiles"/>).
/// </summary>
/// <remarks>
/// The call key becomes the event's <c>id</c>, so importing the same file twice, or a file and
/// the ledger it came from, never counts a call twice. An unknown bucket is written as
/// <c>null</c>, never 0. Fields the schema does not carry (tags, error type, user, host) are not
/// written.
/// </remarks>
public static class UsageEventWriter
{
    private static readonly JsonWriterOptions Options = new() { Indented = false, SkipValidation = false };

    /// <summary>Appends one event line, ending in <c>\n</c>, to <paramref name="output"/>.</summary>
    /// <exception cref="ArgumentException">The call's key starts with <c>derived:</c>, which the reader keeps for keys it builds itself.</exception>
    public static void WriteLine(IBufferWriter<byte> output, LlmCall call)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(call);
        if (call.CallKey.StartsWith("derived:", StringComparison.Ordinal))
        {
            throw new ArgumentException("A usage event's id must not start with 'derived:'.", nameof(call));
        }

        using (var writer = new Utf8JsonWriter(output, Options))
        {
            writer.WriteStartObject();
            writer.WriteString(TallyCallFields.Schema, TallyCallFields.SchemaName);
            writer.WriteString(TallyCallFields.Id, call.CallKey);
            writer.WriteString(TallyCallFields.Timestamp, call.Timestamp.ToUniversalTime());
            WriteOptional(writer, TallyCallFields.Provider, call.Provider);
            writer.WriteString(TallyCallFields.Model, call.Model);
            WriteOptional(writer, TallyCallFields.Agent, call.Agent);
            writer.WriteString(TallyCallFields.Session, call.SessionId);
            WriteOptional(writer, TallyCallFields.Project, call.Project);
            WriteOptional(writer, TallyCallFields.FinishReason, call.StopReasonRaw);
            if (call.DurationMs is { } duration)
            {
                writer.WriteNumber(TallyCallFields.DurationMs, duration);
            }

            writer.WriteStartObject(TallyCallFields.Tokens);
            WriteCount(writer, TallyCallFields.Buckets.Input, call.Usage.Input);
            WriteCount(writer, TallyCallFields.Buckets.CacheRead, call.Usage.CacheRead);
            WriteCount(writer, TallyCallFields.Buckets.CacheWrite5m, call.Usage.CacheWrite5m);
            WriteCount(writer, TallyCallFields.Buckets.CacheWrite1h, call.Usage.CacheWrite1h);
            WriteCount(writer, TallyCallFields.Buckets.Output, call.Usage.Output);
            WriteCount(writer, TallyCallFields.Buckets.Reasoning, call.Usage.Reasoning);
            writer.WriteEndObject();
            if (call.ReportedCost is { } cost)
            {
                writer.WriteNumber(TallyCallFields.Cost, cost);
            }

            writer.WriteEndObject();
        }

        output.Write("\n"u8);
    }

    private static void WriteOptional(Utf8JsonWriter writer, ReadOnlySpan<byte> name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            writer.WriteString(name, value);
        }
    }

    private static void WriteCount(Utf8JsonWriter writer, ReadOnlySpan<byte> name, long? count)
    {
        if (count is { } value)
        {
            writer.WriteNumber(name, value);
        }
        else
        {
            writer.WriteNull(name);
        }
    }
}
