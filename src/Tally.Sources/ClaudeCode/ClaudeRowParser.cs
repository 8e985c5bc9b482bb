using System.Runtime.CompilerServices;
using System.Text.Json;
using Tally.Sources.JsonLines;

namespace Tally.Sources.ClaudeCode;

/// <summary>
/// Reads one transcript line with a <see cref="LineJsonReader"/> straight over its bytes and fills a
/// <see cref="ClaudeRow"/>: no document, and no strings for the fields it only passes over.
/// </summary>
/// <remarks>
/// Property names are matched as bytes in any order. Values the reader does not use are skipped
/// token by token, never decoded, and long strings (text, tool output) are passed over with a
/// search for their closing quote. Two shortcuts stop a parse early: in a user row, the
/// <c>toolUseResult</c> object (a second copy of the tool output, often the largest part of the
/// line) is not tokenized when everything the reader needs was already seen before it, as Claude
/// Code writes it; and a row of another type (progress, system, …) stops at its <c>type</c> unless
/// its ids are needed. The rest of such a line is then checked only by the line sanity check (it
/// starts with <c>{</c> and ends with <c>}</c>).
/// </remarks>
internal static class ClaudeRowParser
{
    private static readonly JsonReaderOptions Options = new() { MaxDepth = 1024 };

    /// <summary>Parses a whole row. Returns null on success, else a short reason the line was not usable.</summary>
    /// <param name="line">The line, trimmed.</param>
    /// <param name="row">Receives the fields.</param>
    /// <param name="needLinks">
    /// Whether a row of another type (progress, system, …) must still give its ids; when not, its
    /// parse stops at its <c>type</c>. Progress rows embed whole subagent messages, so this spares
    /// most of their bytes.
    /// </param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static string? Parse(ReadOnlySpan<byte> line, ClaudeRow row, bool needLinks)
    {
        row.Reset();
        try
        {
            return ParseTopLevel(line, row, linkOnly: false, needLinks);
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

    /// <summary>
    /// Reads only <c>parentUuid</c> and <c>uuid</c>, stopping as soon as both are seen: enough to
    /// follow a conversation chain through rows the reader otherwise ignores.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static string? ParseLink(ReadOnlySpan<byte> line, ClaudeRow row)
    {
        row.Reset();
        try
        {
            return ParseTopLevel(line, row, linkOnly: true, needLinks: true);
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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static string? ParseTopLevel(ReadOnlySpan<byte> line, ClaudeRow row, bool linkOnly, bool needLinks)
    {
        var reader = new LineJsonReader(line, Options);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return "not a JSON object";
        }

        var nameBuffer = row.NameBuffer;
        bool seenUuid = false, seenParent = false, seenMessage = false, seenTimestamp = false, seenSession = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = PropertyName(ref reader, nameBuffer);
            reader.Read();
            string? error = null;
            if (name.SequenceEqual("uuid"u8))
            {
                error = ReadString(ref reader, row, out row.Uuid, "uuid");
                seenUuid = true;
            }
            else if (name.SequenceEqual("parentUuid"u8))
            {
                error = ReadString(ref reader, row, out row.ParentUuid, "parentUuid");
                seenParent = true;
            }
            else if (linkOnly)
            {
                reader.Skip();
            }
            else if (name.SequenceEqual("type"u8))
            {
                row.Type = reader.TokenType != JsonTokenType.String ? ClaudeRowType.Other
                    : reader.ValueTextEquals("assistant"u8) ? ClaudeRowType.Assistant
                    : reader.ValueTextEquals("user"u8) ? ClaudeRowType.User
                    : ClaudeRowType.Other;
                reader.Skip();
                if (row.Type == ClaudeRowType.Other && !needLinks)
                {
                    return null; // nothing else in such a row is used
                }
            }
            else if (name.SequenceEqual("message"u8))
            {
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    row.HasMessage = true;
                    error = ParseMessage(ref reader, row, nameBuffer);
                }
                else
                {
                    reader.Skip();
                }

                seenMessage = true;
            }
            else if (name.SequenceEqual("sessionId"u8))
            {
                error = ReadString(ref reader, row, out row.SessionId, "sessionId");
                seenSession = true;
            }
            else if (name.SequenceEqual("timestamp"u8))
            {
                if (reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out var timestamp))
                {
                    row.Timestamp = timestamp;
                }
                else
                {
                    reader.Skip(); // left null: a call row without a valid time is reported by the assembler
                }

                seenTimestamp = true;
            }
            else if (name.SequenceEqual("isSidechain"u8))
            {
                row.IsSidechain = reader.TokenType == JsonTokenType.True;
                reader.Skip();
            }
            else if (name.SequenceEqual("cwd"u8))
            {
                error = ReadString(ref reader, row, out row.Cwd, "cwd");
            }
            else if (name.SequenceEqual("requestId"u8))
            {
                error = ReadString(ref reader, row, out row.RequestId, "requestId");
            }
            else if (name.SequenceEqual("agentId"u8))
            {
                error = ReadString(ref reader, row, out row.AgentId, "agentId");
            }
            else if (name.SequenceEqual("costUSD"u8))
            {
                if (reader.TokenType == JsonTokenType.Number && reader.TryGetDecimal(out var cost) && cost >= 0)
                {
                    row.CostUsd = cost;
                }
                else if (reader.TokenType != JsonTokenType.Null)
                {
                    reader.Skip();
                    error = "costUSD is not a non-negative number";
                }
            }
            else if (name.SequenceEqual("toolUseResult"u8)
                && row.Type == ClaudeRowType.User && seenMessage && seenUuid && seenParent && seenTimestamp && seenSession)
            {
                return null; // see the remarks: the rest of the line is a copy of what was already read
            }
            else
            {
                reader.Skip();
            }

            if (error is not null)
            {
                return error;
            }

            if (linkOnly && seenUuid && seenParent)
            {
                return null;
            }
        }

        if (reader.TokenType != JsonTokenType.EndObject)
        {
            return "not valid JSON";
        }

        // Anything after the closing brace other than white space makes Read throw: a line holding
        // two objects, or a garbled tail, is not one row.
        reader.Read();
        return null;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static string? ParseMessage(ref LineJsonReader reader, ClaudeRow row, byte[] nameBuffer)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = PropertyName(ref reader, nameBuffer);
            reader.Read();
            string? error = null;
            if (name.SequenceEqual("content"u8))
            {
                if (reader.TokenType == JsonTokenType.StartArray)
                {
                    error = ParseContent(ref reader, row, nameBuffer);
                }
                else
                {
                    reader.Skip(); // a user prompt as a plain string
                }
            }
            else if (name.SequenceEqual("usage"u8))
            {
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    row.HasUsage = true;
                    error = ParseUsage(ref reader, row, nameBuffer);
                }
                else if (reader.TokenType != JsonTokenType.Null)
                {
                    reader.Skip();
                    error = "message.usage is not an object";
                }
            }
            else if (name.SequenceEqual("id"u8))
            {
                error = ReadString(ref reader, row, out row.MessageId, "message.id");
            }
            else if (name.SequenceEqual("model"u8))
            {
                error = ReadString(ref reader, row, out row.Model, "message.model");
            }
            else if (name.SequenceEqual("stop_reason"u8))
            {
                error = ReadString(ref reader, row, out row.StopReason, "message.stop_reason");
            }
            else
            {
                reader.Skip();
            }

            if (error is not null)
            {
                return error;
            }
        }

        return null;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static string? ParseUsage(ref LineJsonReader reader, ClaudeRow row, byte[] nameBuffer)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = PropertyName(ref reader, nameBuffer);
            reader.Read();
            string? error = null;
            if (name.SequenceEqual("input_tokens"u8))
            {
                error = ReadCount(ref reader, out row.InputTokens, "input_tokens");
            }
            else if (name.SequenceEqual("output_tokens"u8))
            {
                error = ReadCount(ref reader, out row.OutputTokens, "output_tokens");
            }
            else if (name.SequenceEqual("cache_read_input_tokens"u8))
            {
                error = ReadCount(ref reader, out row.CacheReadTokens, "cache_read_input_tokens");
            }
            else if (name.SequenceEqual("cache_creation_input_tokens"u8))
            {
                error = ReadCount(ref reader, out row.CacheCreationTokens, "cache_creation_input_tokens");
            }
            else if (name.SequenceEqual("cache_creation"u8))
            {
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    row.HasCacheCreationSplit = true;
                    error = ParseCacheCreation(ref reader, row, nameBuffer);
                }
                else if (reader.TokenType != JsonTokenType.Null)
                {
                    reader.Skip();
                    error = "usage.cache_creation is not an object";
                }
            }
            else
            {
                reader.Skip(); // service_tier, server_tool_use, speed, …
            }

            if (error is not null)
            {
                return error;
            }
        }

        return null;
    }

    private static string? ParseCacheCreation(ref LineJsonReader reader, ClaudeRow row, byte[] nameBuffer)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = PropertyName(ref reader, nameBuffer);
            reader.Read();
            string? error = null;
            if (name.SequenceEqual("ephemeral_5m_input_tokens"u8))
            {
                error = ReadCount(ref reader, out row.CacheCreation5m, "cache_creation.ephemeral_5m_input_tokens");
            }
            else if (name.SequenceEqual("ephemeral_1h_input_tokens"u8))
            {
                error = ReadCount(ref reader, out row.CacheCreation1h, "cache_creation.ephemeral_1h_input_tokens");
            }
            else
            {
                reader.Skip();
            }

            if (error is not null)
            {
                return error;
            }
        }

        return null;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static string? ParseContent(ref LineJsonReader reader, ClaudeRow row, byte[] nameBuffer)
    {
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }

            var error = ParseBlock(ref reader, row, nameBuffer);
            if (error is not null)
            {
                return error;
            }
        }

        return null;
    }

    private enum BlockKind
    {
        Other,
        ToolUse,
        ToolResult,
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static string? ParseBlock(ref LineJsonReader reader, ClaudeRow row, byte[] nameBuffer)
    {
        var kind = BlockKind.Other;
        var toolUse = new ClaudeToolUseBlock
        {
            Id = Utf8Slice.None, Name = Utf8Slice.None, FilePath = Utf8Slice.None, NotebookPath = Utf8Slice.None,
            Path = Utf8Slice.None, Command = Utf8Slice.None, Pattern = Utf8Slice.None, Url = Utf8Slice.None,
            Query = Utf8Slice.None, SubagentType = Utf8Slice.None, Description = Utf8Slice.None,
        };
        var result = new ClaudeToolResultBlock { ToolUseId = Utf8Slice.None };
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = PropertyName(ref reader, nameBuffer);
            reader.Read();
            string? error = null;
            if (name.SequenceEqual("type"u8))
            {
                kind = reader.TokenType != JsonTokenType.String ? BlockKind.Other
                    : reader.ValueTextEquals("tool_use"u8) ? BlockKind.ToolUse
                    : reader.ValueTextEquals("tool_result"u8) ? BlockKind.ToolResult
                    : BlockKind.Other;
                reader.Skip();
            }
            else if (name.SequenceEqual("content"u8))
            {
                MeasureResultContent(ref reader, nameBuffer, out result.OutputBytes, out result.Truncated);
            }
            else if (name.SequenceEqual("id"u8))
            {
                error = ReadString(ref reader, row, out toolUse.Id, "tool_use.id");
            }
            else if (name.SequenceEqual("name"u8))
            {
                error = ReadString(ref reader, row, out toolUse.Name, "tool_use.name");
            }
            else if (name.SequenceEqual("input"u8))
            {
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    ParseToolInput(ref reader, row, nameBuffer, ref toolUse);
                }
                else
                {
                    reader.Skip();
                }
            }
            else if (name.SequenceEqual("tool_use_id"u8))
            {
                error = ReadString(ref reader, row, out result.ToolUseId, "tool_result.tool_use_id");
            }
            else if (name.SequenceEqual("is_error"u8))
            {
                result.IsError = reader.TokenType == JsonTokenType.True;
                reader.Skip();
            }
            else
            {
                reader.Skip();
            }

            if (error is not null)
            {
                return error;
            }
        }

        if (kind == BlockKind.ToolUse && toolUse.Id.IsPresent && toolUse.Id.Length > 0)
        {
            row.ToolUses.Add(toolUse);
        }
        else if (kind == BlockKind.ToolResult && result.ToolUseId.IsPresent && result.ToolUseId.Length > 0)
        {
            row.ToolResults.Add(result);
        }

        return null;
    }

    // Only string values can be targets; a value of another type is passed over.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ParseToolInput(ref LineJsonReader reader, ClaudeRow row, byte[] nameBuffer, ref ClaudeToolUseBlock block)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = PropertyName(ref reader, nameBuffer);
            reader.Read();
            if (reader.TokenType != JsonTokenType.String)
            {
                reader.Skip();
                continue;
            }

            if (name.SequenceEqual("file_path"u8))
            {
                block.FilePath = Capture(ref reader, row);
            }
            else if (name.SequenceEqual("command"u8))
            {
                block.Command = Capture(ref reader, row);
            }
            else if (name.SequenceEqual("pattern"u8))
            {
                block.Pattern = Capture(ref reader, row);
            }
            else if (name.SequenceEqual("path"u8))
            {
                block.Path = Capture(ref reader, row);
            }
            else if (name.SequenceEqual("url"u8))
            {
                block.Url = Capture(ref reader, row);
            }
            else if (name.SequenceEqual("query"u8))
            {
                block.Query = Capture(ref reader, row);
            }
            else if (name.SequenceEqual("notebook_path"u8))
            {
                block.NotebookPath = Capture(ref reader, row);
            }
            else if (name.SequenceEqual("subagent_type"u8))
            {
                block.SubagentType = Capture(ref reader, row);
            }
            else if (name.SequenceEqual("description"u8))
            {
                block.Description = Capture(ref reader, row);
            }
        }
    }

    /// <summary>
    /// Sizes a tool result's <c>content</c> as the agent read it: a string counts its decoded UTF-8
    /// bytes; an array counts the decoded bytes of its <c>text</c> blocks. Image and other non-text
    /// blocks count 0 bytes: the model is charged for an image by its pixels, not by the base64
    /// that carries it, so counting those bytes would rank screenshots as the biggest outputs for
    /// the wrong reason. Any other value (null, a number) counts 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MeasureResultContent(ref LineJsonReader reader, byte[] nameBuffer, out long bytes, out bool truncated)
    {
        bytes = 0;
        truncated = false;
        if (reader.TokenType == JsonTokenType.String)
        {
            MeasureString(ref reader, ref bytes, ref truncated);
            return;
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return;
        }

        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }

            // "type" usually precedes "text", but measure whatever order the block has.
            bool? isText = null;
            long textBytes = 0;
            var textTruncated = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = PropertyName(ref reader, nameBuffer);
                reader.Read();
                if (name.SequenceEqual("type"u8))
                {
                    isText = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("text"u8);
                    reader.Skip();
                }
                else if (name.SequenceEqual("text"u8) && reader.TokenType == JsonTokenType.String && isText != false)
                {
                    MeasureString(ref reader, ref textBytes, ref textTruncated);
                }
                else
                {
                    reader.Skip();
                }
            }

            if (isText == true)
            {
                bytes += textBytes;
                truncated |= textTruncated;
            }
        }
    }

    private static void MeasureString(ref LineJsonReader reader, ref long bytes, ref bool truncated)
    {
        var raw = reader.ValueSpan;
        bytes += reader.ValueIsEscaped ? JsonStringLength.Unescaped(raw) : raw.Length;
        truncated |= ClaudeTruncationMarkers.IsTruncated(raw);
    }

    private static string? ReadCount(ref LineJsonReader reader, out long? value, string field)
    {
        value = null;
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.Number when reader.TryGetInt64(out var count):
                if (count < 0)
                {
                    return $"usage.{field} is negative";
                }

                value = count;
                return null;
            case JsonTokenType.Number:
                return $"usage.{field} is not a whole number";
            default:
                reader.Skip();
                return $"usage.{field} is not a number";
        }
    }

    private static string? ReadString(ref LineJsonReader reader, ClaudeRow row, out Utf8Slice slice, string field)
    {
        slice = Utf8Slice.None;
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                slice = Capture(ref reader, row);
                return null;
            case JsonTokenType.Null:
                return null;
            default:
                reader.Skip();
                return $"{field} is not a string";
        }
    }

    private static Utf8Slice Capture(ref LineJsonReader reader, ClaudeRow row)
    {
        if (!reader.ValueIsEscaped)
        {
            // The token starts at its opening quote.
            return new Utf8Slice(checked((int)reader.TokenStartIndex + 1), reader.ValueSpan.Length, InScratch: false);
        }

        var destination = row.RentScratch(reader.ValueSpan.Length, out var start);
        var written = reader.CopyString(destination);
        row.CommitScratch(written);
        return new Utf8Slice(start, written, InScratch: true);
    }

    // Claude Code never escapes property names, but a hand-edited file might.
    private static ReadOnlySpan<byte> PropertyName(ref LineJsonReader reader, byte[] buffer)
    {
        if (!reader.ValueIsEscaped)
        {
            return reader.ValueSpan;
        }

        return reader.ValueSpan.Length <= buffer.Length ? buffer.AsSpan(0, reader.CopyString(buffer)) : default;
    }
}
