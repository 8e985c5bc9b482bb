using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Unicode;
using Tally.Sources.JsonLines;

namespace Tally.Sources.Codex;

/// <summary>
/// Reads one rollout line (<c>{"timestamp","type","payload"}</c>) straight over its bytes into a
/// <see cref="CodexLine"/>, with a validating <see cref="LineJsonReader"/>: long strings (tool
/// output, messages, patches) are checked and passed over with vectorized searches, and a line is
/// valid JSON exactly when it is for <see cref="Utf8JsonReader"/>. Tool outputs (often the largest
/// part of a line) are measured and searched as raw bytes, never turned into strings; other strings
/// are decoded as <see cref="Utf8JsonReader.GetString"/> decodes them, down to what it throws.
/// </summary>
internal static class CodexLineParser
{
    private static readonly JsonReaderOptions Options = new() { MaxDepth = 1024 };

    /// <summary>Parses a line. Returns null on success, else a short reason the line is not usable.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static string? Parse(ReadOnlySpan<byte> line, CodexLine row)
    {
        row.Reset();
        try
        {
            return ParseTop(line, row, payloadInPlace: true);
        }
        catch (JsonException)
        {
            return "not valid JSON";
        }
        catch (InvalidOperationException)
        {
            // Reading the payload in place left the rest of the line unchecked: read it the slow way,
            // which checks the whole line first, for exactly its answer.
            row.Reset();
            try
            {
                return ParseTop(line, row, payloadInPlace: false);
            }
            catch (JsonException)
            {
                return "not valid JSON";
            }
            catch (InvalidOperationException)
            {
                return "unexpected JSON value type"; // a guard missed a shape; never let a line end the read
            }
        }
    }

    /// <summary>
    /// Reads the line's properties. The payload is read where it stands when the line's type came
    /// before it (Codex writes <c>timestamp</c>, <c>type</c>, <c>payload</c>), so its bytes, usually most
    /// of the line, are read once; otherwise, or when a later <c>type</c> or <c>payload</c> overrides
    /// the one read, it is read again once the whole line has been checked. Either way a reason the
    /// payload gives is returned only for a line that is valid JSON.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static string? ParseTop(ReadOnlySpan<byte> line, CodexLine row, bool payloadInPlace)
    {
        var reader = new LineJsonReader(line, Options);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return "not a JSON object";
        }

        var payload = default(LineJsonReader);
        var hasPayload = false;
        var readAt = -1L; // where the payload read in place starts
        var readAs = CodexLineType.Other;
        string? readError = null;
        var timestamp = default(JsonToken);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("timestamp"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                {
                    CheckDecodable(ref reader); // where decoding it would throw
                }

                timestamp = new JsonToken(ref reader);
            }
            else if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                {
                    row.Type = reader.ValueTextEquals("event_msg"u8) ? CodexLineType.EventMsg
                        : reader.ValueTextEquals("response_item"u8) ? CodexLineType.ResponseItem
                        : reader.ValueTextEquals("turn_context"u8) ? CodexLineType.TurnContext
                        : reader.ValueTextEquals("session_meta"u8) ? CodexLineType.SessionMeta
                        : CodexLineType.Other;
                }
            }
            else if (reader.ValueTextEquals("payload"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    hasPayload = true;
                    payload = reader; // read again at the end if it cannot be read now
                    if (payloadInPlace && row.Type != CodexLineType.Other)
                    {
                        row.ResetPayload();
                        readAt = reader.TokenStartIndex;
                        readAs = row.Type;
                        var depth = reader.CurrentDepth;
                        readError = ParsePayload(ref reader, line, row);

                        // A reason can come before the payload's end: check the rest of it all the same.
                        while (reader.TokenType != JsonTokenType.EndObject || reader.CurrentDepth != depth)
                        {
                            reader.Read();
                        }

                        continue;
                    }
                }

                reader.Skip();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
        {
            return "not a single JSON object";
        }

        string? error = null;
        if (!hasPayload || row.Type == CodexLineType.Other)
        {
            row.ResetPayload();
        }
        else if (readAt == payload.TokenStartIndex && readAs == row.Type)
        {
            error = readError;
        }
        else
        {
            row.ResetPayload();
            error = ParsePayload(ref payload, line, row);
        }

        if (timestamp.Kind == JsonTokenType.String)
        {
            row.Time = Time(line, timestamp);
            if (row.PayloadType == CodexPayloadType.TokenCount)
            {
                row.Timestamp = timestamp.String(line);
            }
        }

        return error;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static string? ParsePayload(ref LineJsonReader reader, ReadOnlySpan<byte> line, CodexLine row)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8))
            {
                row.PayloadType = ReadPayloadType(ref reader);
            }
            else if (reader.ValueTextEquals("id"u8))
            {
                row.Id = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("cwd"u8))
            {
                row.Cwd = ReadString(ref reader, Strings);
            }
            else if (reader.ValueTextEquals("model"u8))
            {
                row.Model = ReadString(ref reader, Strings);
            }
            else if (reader.ValueTextEquals("call_id"u8))
            {
                row.CallId = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("name"u8))
            {
                row.Name = ReadString(ref reader, Strings);
            }
            else if (reader.ValueTextEquals("arguments"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                {
                    row.Arguments = reader.GetString();
                }
                else if (reader.TokenType == JsonTokenType.StartObject)
                {
                    // Some builds write the arguments as an object rather than a JSON string.
                    var start = (int)reader.TokenStartIndex;
                    reader.Skip();
                    row.Arguments = System.Text.Encoding.UTF8.GetString(line[start..(int)reader.BytesConsumed]);
                }
                else
                {
                    reader.Skip();
                }
            }
            else if (reader.ValueTextEquals("input"u8))
            {
                row.Input = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("output"u8))
            {
                ReadOutput(ref reader, line, row);
            }
            else if (reader.ValueTextEquals("exit_code"u8))
            {
                reader.Read();
                row.ExitCode = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var code) ? code : null;
            }
            else if (reader.ValueTextEquals("success"u8))
            {
                reader.Read();
                row.Success = reader.TokenType switch
                {
                    JsonTokenType.True => true,
                    JsonTokenType.False => false,
                    _ => null,
                };
            }
            else if (reader.ValueTextEquals("info"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.Null)
                {
                    row.InfoIsNull = true;
                }
                else if (reader.TokenType == JsonTokenType.StartObject)
                {
                    row.HasInfo = true;
                    if (ParseInfo(ref reader, row) is { } error)
                    {
                        return error;
                    }
                }
                else
                {
                    return "token_count info is not an object";
                }
            }
            else if (row.Type == CodexLineType.SessionMeta
                && (reader.ValueTextEquals("forked_from_id"u8) || reader.ValueTextEquals("forkSessionId"u8)
                    || reader.ValueTextEquals("parent_thread_id"u8) || reader.ValueTextEquals("source"u8)))
            {
                var isSource = reader.ValueTextEquals("source"u8);
                reader.Read();
                if (isSource)
                {
                    row.ForkMarker |= reader.TokenType == JsonTokenType.StartObject && ContainsName(ref reader, "thread_spawn"u8);
                }
                else
                {
                    row.ForkMarker |= reader.TokenType == JsonTokenType.String && reader.ValueSpan.Length > 0;
                }

                reader.Skip();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return null;
    }

    /// <summary>Whether an object (the reader on its start) names <paramref name="name"/> at any depth; leaves the reader on its end.</summary>
    private static bool ContainsName(ref LineJsonReader reader, ReadOnlySpan<byte> name)
    {
        var depth = reader.CurrentDepth;
        var found = false;
        while (reader.Read() && reader.CurrentDepth > depth)
        {
            found |= reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals(name);
        }

        return found;
    }

    private static string? ParseInfo(ref LineJsonReader reader, CodexLine row)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isTotal = reader.ValueTextEquals("total_token_usage"u8);
            var isLast = !isTotal && reader.ValueTextEquals("last_token_usage"u8);
            var isModel = !isTotal && !isLast && reader.ValueTextEquals("model"u8);
            if (isModel)
            {
                row.InfoModel = ReadString(ref reader, Strings);
                continue;
            }

            reader.Read();
            if (!isTotal && !isLast)
            {
                reader.Skip();
                continue;
            }

            if (reader.TokenType == JsonTokenType.Null)
            {
                continue;
            }

            var field = isTotal ? "total_token_usage" : "last_token_usage";
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                return $"info.{field} is not an object";
            }

            if (ParseCounts(ref reader, field, out var counts) is { } error)
            {
                return error;
            }

            if (isTotal)
            {
                row.Total = counts;
            }
            else
            {
                row.Last = counts;
            }
        }

        return null;
    }

    private static string? ParseCounts(ref LineJsonReader reader, string field, out CodexCounts counts)
    {
        long? input = null, cached = null, output = null, reasoning = null;
        counts = default;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            ref long? target = ref input;
            string name;
            if (reader.ValueTextEquals("input_tokens"u8))
            {
                name = "input_tokens";
            }
            else if (reader.ValueTextEquals("cached_input_tokens"u8))
            {
                target = ref cached;
                name = "cached_input_tokens";
            }
            else if (reader.ValueTextEquals("output_tokens"u8))
            {
                target = ref output;
                name = "output_tokens";
            }
            else if (reader.ValueTextEquals("reasoning_output_tokens"u8))
            {
                target = ref reasoning;
                name = "reasoning_output_tokens";
            }
            else
            {
                reader.Read();
                reader.Skip();
                continue;
            }

            reader.Read();
            switch (reader.TokenType)
            {
                case JsonTokenType.Null:
                    target = null;
                    continue;
                case JsonTokenType.Number when reader.TryGetInt64(out var value):
                    if (value < 0)
                    {
                        return $"info.{field}.{name} is negative";
                    }

                    target = value;
                    continue;
                case JsonTokenType.Number:
                    return $"info.{field}.{name} is not a whole number";
                default:
                    reader.Skip();
                    return $"info.{field}.{name} is not a number";
            }
        }

        counts = new CodexCounts(input, cached, output, reasoning);
        return null;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ReadOutput(ref LineJsonReader reader, ReadOnlySpan<byte> line, CodexLine row)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.String)
        {
            row.HasOutput = true;
            MeasureText(ref reader, row);
            row.OutputError = CodexOutputStatus.ErrorFromText(reader.ValueSpan);
            return;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            if (reader.TokenType != JsonTokenType.Null)
            {
                row.HasOutput = true;
                var start = reader.TokenStartIndex;
                reader.Skip();
                row.OutputBytes = reader.BytesConsumed - start;
            }

            return;
        }

        // Newer builds write {"content": "...", "success": false} (or content items).
        row.HasOutput = true;
        var objectStart = reader.TokenStartIndex;
        var sawContent = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("content"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                {
                    sawContent = true;
                    MeasureText(ref reader, row);
                    row.OutputError ??= CodexOutputStatus.ErrorFromText(reader.ValueSpan);
                }
                else
                {
                    reader.Skip();
                }
            }
            else if (reader.ValueTextEquals("success"u8))
            {
                reader.Read();
                if (reader.TokenType is JsonTokenType.True or JsonTokenType.False)
                {
                    row.OutputError = reader.TokenType == JsonTokenType.False;
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (!sawContent)
        {
            row.OutputBytes = reader.BytesConsumed - objectStart;
            row.OutputTruncated = CodexOutputStatus.IsTruncated(line[(int)objectStart..(int)reader.BytesConsumed]);
        }
    }

    private static void MeasureText(ref LineJsonReader reader, CodexLine row)
    {
        var raw = reader.ValueSpan;
        row.OutputBytes = reader.ValueIsEscaped ? JsonStringLength.Unescaped(raw) : raw.Length;
        row.OutputTruncated = CodexOutputStatus.IsTruncated(raw);
    }

    private static string? ReadString(ref LineJsonReader reader)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.String)
        {
            return reader.GetString();
        }

        reader.Skip();
        return null;
    }

    /// <summary>A string that recurs from line to line (a model, a working directory, a tool name), from <paramref name="cache"/>.</summary>
    private static string? ReadString(ref LineJsonReader reader, Utf8StringCache cache)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.String)
        {
            return reader.ValueIsEscaped ? reader.GetString() : cache.Get(reader.ValueSpan);
        }

        reader.Skip();
        return null;
    }

    /// <summary>The payload's type; a value that is not valid UTF-8 throws, as decoding it would.</summary>
    private static CodexPayloadType ReadPayloadType(ref LineJsonReader reader)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.String)
        {
            reader.Skip();
            return CodexPayloadType.Other;
        }

        CheckDecodable(ref reader);
        return reader.ValueTextEquals("token_count"u8) ? CodexPayloadType.TokenCount
            : reader.ValueTextEquals("function_call"u8) ? CodexPayloadType.FunctionCall
            : reader.ValueTextEquals("function_call_output"u8) ? CodexPayloadType.FunctionCallOutput
            : reader.ValueTextEquals("custom_tool_call"u8) ? CodexPayloadType.CustomToolCall
            : reader.ValueTextEquals("custom_tool_call_output"u8) ? CodexPayloadType.CustomToolCallOutput
            : reader.ValueTextEquals("local_shell_call"u8) ? CodexPayloadType.LocalShellCall
            : reader.ValueTextEquals("exec_command_end"u8) ? CodexPayloadType.ExecCommandEnd
            : reader.ValueTextEquals("patch_apply_end"u8) ? CodexPayloadType.PatchApplyEnd
            : CodexPayloadType.Other;
    }

    /// <summary>Throws where <see cref="Utf8JsonReader.GetString"/> would (invalid UTF-8, half a surrogate pair), without making the string.</summary>
    private static void CheckDecodable(ref LineJsonReader reader)
    {
        if (reader.ValueIsEscaped)
        {
            _ = reader.GetString();
        }
        else if (!Utf8.IsValid(reader.ValueSpan))
        {
            throw new InvalidOperationException("Cannot transcode invalid UTF-8 JSON text to UTF-16 string.");
        }
    }

    [ThreadStatic]
    private static Utf8StringCache? t_strings;

    private static Utf8StringCache Strings => t_strings ??= new Utf8StringCache();

    /// <summary>
    /// A timestamp as <see cref="DateTimeOffset.TryParse(string, IFormatProvider, DateTimeStyles, out DateTimeOffset)"/>
    /// reads it (invariant culture, UTC unless it says otherwise, given in UTC), or null. Codex writes
    /// <c>yyyy-MM-ddTHH:mm:ss.fffZ</c>, read here digit by digit; any other form goes to that parser.
    /// </summary>
    private static DateTimeOffset? Time(ReadOnlySpan<byte> line, JsonToken timestamp)
    {
        if (!timestamp.IsEscaped && CodexTimestamps.TryParseUtc(timestamp.Raw(line), out var time))
        {
            return time;
        }

        return DateTimeOffset.TryParse(timestamp.String(line), CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed)
            ? parsed
            : null;
    }
}

/// <summary>
/// What a Codex tool output says about itself: the truncation marks Codex writes when it cut the
/// output before the model saw it, and the exit status some output formats carry. Matched on the
/// raw (still escaped) JSON string bytes.
/// </summary>
/// <remarks>
/// Marks: <c>…N tokens truncated…</c> and <c>…N chars truncated…</c> (codex-rs <c>truncate.rs</c>,
/// middle truncation; the ellipsis written as UTF-8 or as <c>\u2026</c>), and the older
/// <c>[... omitted N of M lines ...]</c>. Exit status: the JSON-in-a-string shell result
/// <c>{"output":…,"metadata":{"exit_code":N,…}}</c>, the freeform <c>Exit code: N</c> header and the
/// unified-exec <c>Process exited with code N</c> line.
/// </remarks>
internal static class CodexOutputStatus
{
    private const int HeaderWindow = 512;

    /// <summary>Whether the raw output bytes carry a Codex truncation mark.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool IsTruncated(ReadOnlySpan<byte> raw)
    {
        if (raw.IndexOf("tokens truncated"u8) >= 0 || raw.IndexOf("chars truncated"u8) >= 0)
        {
            return HasEllipsisMark(raw);
        }

        var omitted = raw.IndexOf("[... omitted "u8);
        return omitted >= 0 && raw[omitted..].IndexOf(" lines ...]"u8) >= 0;
    }

    private static bool HasEllipsisMark(ReadOnlySpan<byte> raw)
    {
        foreach (var mark in MarkBytes)
        {
            if (raw.IndexOf(mark) >= 0)
            {
                return true;
            }
        }

        return false;
    }

    private static readonly byte[][] MarkBytes =
    [
        "tokens truncated\u2026"u8.ToArray(),
        "chars truncated\u2026"u8.ToArray(),
        "tokens truncated\\u2026"u8.ToArray(),
        "chars truncated\\u2026"u8.ToArray(),
    ];

    /// <summary>Whether the output text says the command failed (true), succeeded (false), or nothing (null).</summary>
    public static bool? ErrorFromText(ReadOnlySpan<byte> raw)
    {
        var head = raw[..Math.Min(raw.Length, HeaderWindow)];
        if (head.StartsWith("Exit code: "u8))
        {
            return ParseCode(head["Exit code: "u8.Length..]) is { } code ? code != 0 : null;
        }

        var exited = head.IndexOf("Process exited with code "u8);
        if (exited >= 0)
        {
            return ParseCode(head[(exited + "Process exited with code "u8.Length)..]) is { } code ? code != 0 : null;
        }

        if (raw.StartsWith("{\\\"output\\\":"u8))
        {
            var at = raw.LastIndexOf("\\\"exit_code\\\":"u8);
            if (at >= 0)
            {
                return ParseCode(raw[(at + "\\\"exit_code\\\":"u8.Length)..]) is { } code ? code != 0 : null;
            }
        }

        return null;
    }

    private static long? ParseCode(ReadOnlySpan<byte> text)
    {
        var i = 0;
        while (i < text.Length && text[i] == (byte)' ')
        {
            i++;
        }

        var negative = i < text.Length && text[i] == (byte)'-';
        if (negative)
        {
            i++;
        }

        long value = 0;
        var digits = 0;
        while (i < text.Length && text[i] is >= (byte)'0' and <= (byte)'9' && digits < 18)
        {
            value = value * 10 + (text[i] - '0');
            i++;
            digits++;
        }

        return digits == 0 ? null : negative ? -value : value;
    }
}
