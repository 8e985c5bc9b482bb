using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Tally.Model;
using Tally.Sources.JsonLines;

namespace Tally.Sources.Gemini;

/// <summary>A chat record's token summary as Gemini CLI writes it (each count null when absent).</summary>
/// <param name="Prompt"><c>input</c> (<c>promptTokenCount</c>): the whole prompt, cached tokens included.</param>
/// <param name="Output"><c>output</c> (<c>candidatesTokenCount</c>): visible output, thoughts excluded.</param>
/// <param name="Cached"><c>cached</c> (<c>cachedContentTokenCount</c>): the part of the prompt read from cache.</param>
/// <param name="Thoughts"><c>thoughts</c> (<c>thoughtsTokenCount</c>): thinking, outside <paramref name="Output"/>.</param>
/// <param name="Tool"><c>tool</c> (<c>toolUsePromptTokenCount</c>): tool-use prompt tokens.</param>
/// <param name="Total"><c>total</c> (<c>totalTokenCount</c>).</param>
internal readonly record struct GeminiTokens(long? Prompt, long? Output, long? Cached, long? Thoughts, long? Tool, long? Total)
{
    /// <summary>Whether any count other than the total was written.</summary>
    public bool HasParts => Prompt.HasValue || Output.HasValue || Cached.HasValue || Thoughts.HasValue || Tool.HasValue;

    /// <summary>Whether every count written is 0 (a response that billed nothing).</summary>
    public bool IsAllZero => (Prompt ?? 0) == 0 && (Output ?? 0) == 0 && (Cached ?? 0) == 0 && (Thoughts ?? 0) == 0
        && (Tool ?? 0) == 0 && (Total ?? 0) == 0;

    /// <summary>
    /// Disjoint buckets: input = prompt − cached (never below 0) + tool-use prompt; cache read =
    /// cached; output = candidates + thoughts; reasoning = thoughts; cache writes unreported (null).
    /// </summary>
    public TokenUsage ToUsage()
    {
        long? input = Prompt is { } prompt ? Math.Max(0, prompt - (Cached ?? 0)) : null;
        input = TokenUsage.Add(input, Tool);
        var output = TokenUsage.Add(Output, Thoughts);
        return new TokenUsage(input, Cached, null, null, output, Thoughts);
    }

    /// <summary>The counts as a key fragment, <c>-</c> for an absent count.</summary>
    public string KeyFragment() => string.Join(':', Part(Prompt), Part(Output), Part(Cached), Part(Thoughts), Part(Tool), Part(Total));

    private static string Part(long? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "-";
}

/// <summary>One tool call recorded on a Gemini message.</summary>
internal sealed record GeminiToolCall(string Id, string? Name, string? Target, DateTimeOffset? Timestamp, long? OutputBytes, bool? IsError);

/// <summary>One <c>type: "gemini"</c> message (a model response) of a chat record.</summary>
internal sealed class GeminiMessage
{
    public string? Id { get; init; }
    public string? TimestampRaw { get; init; }
    public DateTimeOffset? Timestamp { get; init; }
    public string? Model { get; init; }
    public GeminiTokens? Tokens { get; init; }
    public string? FinishReason { get; init; }
    public List<GeminiToolCall> ToolCalls { get; } = [];
}

/// <summary>Thrown for a record that is JSON but cannot be used; the message is the skip reason.</summary>
internal sealed class GeminiMalformedException(string message) : Exception(message);

/// <summary>Parses Gemini CLI message records. Uses <see cref="JsonElement"/> only (no reflection, Native AOT safe).</summary>
internal static class GeminiRecords
{
    private static readonly string[] TargetArguments =
        ["file_path", "absolute_path", "path", "dir_path", "command", "pattern", "url", "query"];

    /// <summary>The message's <c>type</c>, or null.</summary>
    public static string? TypeOf(JsonElement message) =>
        message.ValueKind == JsonValueKind.Object && message.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String
            ? type.GetString()
            : null;

    /// <summary>Parses a <c>gemini</c> message. Throws <see cref="GeminiMalformedException"/> for unusable tokens.</summary>
    public static GeminiMessage ParseMessage(JsonElement message)
    {
        var id = String(message, "id");
        var timestampRaw = String(message, "timestamp");
        DateTimeOffset? timestamp = null;
        if (timestampRaw is not null)
        {
            if (!DateTimeOffset.TryParse(timestampRaw, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
            {
                throw new GeminiMalformedException("timestamp is not a date");
            }

            timestamp = parsed.ToUniversalTime();
        }

        GeminiTokens? tokens = null;
        if (message.TryGetProperty("tokens", out var tokenElement) && tokenElement.ValueKind == JsonValueKind.Object)
        {
            tokens = ParseTokens(tokenElement);
        }
        else if (message.TryGetProperty("tokens", out tokenElement) && tokenElement.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined))
        {
            throw new GeminiMalformedException("tokens is not an object");
        }

        var result = new GeminiMessage
        {
            Id = id,
            TimestampRaw = timestampRaw,
            Timestamp = timestamp,
            Model = String(message, "model"),
            Tokens = tokens,
            FinishReason = String(message, "finishReason") ?? String(message, "stopReason"),
        };

        if (message.TryGetProperty("toolCalls", out var tools) && tools.ValueKind == JsonValueKind.Array)
        {
            foreach (var tool in tools.EnumerateArray())
            {
                if (ParseToolCall(tool, timestamp) is { } call)
                {
                    result.ToolCalls.Add(call);
                }
            }
        }

        return result;
    }

    private static GeminiTokens ParseTokens(JsonElement tokens) => new(
        Count(tokens, "input", "prompt"),
        Count(tokens, "output", "candidates"),
        Count(tokens, "cached", null),
        Count(tokens, "thoughts", null),
        Count(tokens, "tool", null),
        Count(tokens, "total", null));

    private static long? Count(JsonElement tokens, string name, string? alias)
    {
        if (!tokens.TryGetProperty(name, out var value) && (alias is null || !tokens.TryGetProperty(alias, out value)))
        {
            return null;
        }

        switch (value.ValueKind)
        {
            case JsonValueKind.Null:
                return null;
            case JsonValueKind.Number when value.TryGetInt64(out var count):
                return count < 0 ? throw new GeminiMalformedException("usage has a negative count") : count;
            case JsonValueKind.Number when value.TryGetDouble(out var real) && real == Math.Floor(real) && real is >= 0 and < long.MaxValue:
                return (long)real;
            default:
                throw new GeminiMalformedException($"tokens.{name} is not a whole number");
        }
    }

    private static GeminiToolCall? ParseToolCall(JsonElement tool, DateTimeOffset? messageTime)
    {
        if (tool.ValueKind != JsonValueKind.Object || String(tool, "id") is not { } id)
        {
            return null;
        }

        DateTimeOffset? timestamp = messageTime;
        if (String(tool, "timestamp") is { } raw
            && DateTimeOffset.TryParse(raw, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            timestamp = parsed.ToUniversalTime();
        }

        string? target = null;
        if (tool.TryGetProperty("args", out var args) && args.ValueKind == JsonValueKind.Object)
        {
            foreach (var name in TargetArguments)
            {
                if (String(args, name) is { Length: > 0 } value)
                {
                    target = value;
                    break;
                }
            }
        }

        long? bytes = null;
        var responseError = false;
        if (tool.TryGetProperty("result", out var result) && result.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined))
        {
            bytes = ResultBytes(result, ref responseError);
        }

        var status = String(tool, "status");
        bool? isError = status is not null
            ? status == "error" || responseError
            : bytes is null ? null : responseError;
        return new GeminiToolCall(id, String(tool, "name"), target, timestamp, bytes, isError);
    }

    /// <summary>
    /// UTF-8 bytes the model read: for each <c>functionResponse</c> part, its <c>response.output</c>
    /// (or <c>response.error</c>) string, else the response's JSON; a plain string result is its text.
    /// </summary>
    private static long ResultBytes(JsonElement result, ref bool error)
    {
        switch (result.ValueKind)
        {
            case JsonValueKind.String:
                return JsonStringLength.Of(result);
            case JsonValueKind.Array:
                long total = 0;
                foreach (var part in result.EnumerateArray())
                {
                    total += ResultBytes(part, ref error);
                }

                return total;
            case JsonValueKind.Object:
                if (result.TryGetProperty("functionResponse", out var function) && function.ValueKind == JsonValueKind.Object)
                {
                    if (!function.TryGetProperty("response", out var response))
                    {
                        return 0;
                    }

                    if (response.ValueKind == JsonValueKind.Object)
                    {
                        if (String(response, "output") is { } output)
                        {
                            return Encoding.UTF8.GetByteCount(output);
                        }

                        if (response.TryGetProperty("error", out var err) && err.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined))
                        {
                            error = true;
                            return err.ValueKind == JsonValueKind.String ? JsonStringLength.Of(err) : JsonMarshal.GetRawUtf8Value(err).Length;
                        }
                    }

                    return JsonMarshal.GetRawUtf8Value(response).Length;
                }

                if (String(result, "text") is { } text)
                {
                    return Encoding.UTF8.GetByteCount(text);
                }

                return 0;
            default:
                return 0;
        }
    }

    /// <summary>A string property, or null when absent or not a string.</summary>
    public static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
}
