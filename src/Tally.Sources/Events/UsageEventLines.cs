using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Tally.Ingest;
using Tally.Model;
using Tally.Projects;
using Tally.Sources.JsonLines;

namespace Tally.Sources.Events;

/// <summary>
/// Turns the lines of one read of a usage-event file into calls and skipped lines. One instance
/// serves one read of one file.
/// </summary>
internal sealed class UsageEventLines : ILineSink
{
    internal const string TallySchema = TallyCallFields.SchemaName;
    internal const string UsageType = "llm_usage";
    internal const string UnknownSession = "unknown";

    internal const string NotJson = "not JSON";
    internal const string NotUsageEvent = "not a usage event";
    internal const string MissingModel = "missing model";
    internal const string MissingTimestamp = "missing timestamp";
    internal const string UnparsableTimestamp = "unparsable timestamp";

    private static readonly JsonReaderOptions Options = new() { MaxDepth = 64 };

    private readonly string _path;
    private readonly ProjectKeyResolver _projects;
    private readonly List<LlmCall> _calls = [];
    private readonly Dictionary<string, int> _callIndex = new(StringComparer.Ordinal);
    private readonly List<SkippedLine> _skipped = [];
    private readonly Dictionary<string, string?> _projectKeys = new(StringComparer.Ordinal);

    public UsageEventLines(string path, ProjectKeyResolver projects)
    {
        _path = path;
        _projects = projects;
    }

    private enum Shape
    {
        /// <summary>Valid JSON, but of another event type: not a problem, not a call.</summary>
        Other,
        Tally,
        LlmUsage,
    }

    /// <summary>Whether an unterminated last line is already a whole JSON value (else it is still being written).</summary>
    public static bool IsComplete(ReadOnlySpan<byte> line, long offset)
    {
        line = Clean(line, offset);
        return !line.IsEmpty && Classify(line, out _) != NotJson;
    }

    /// <summary>Takes one complete line (without its <c>\n</c>).</summary>
    public void OnLine(ReadOnlySpan<byte> line, long offset, long lineNumber)
    {
        line = Clean(line, offset);
        if (line.IsEmpty)
        {
            return; // a blank line is neither an event nor a problem
        }

        var error = Parse(line, out var call);
        if (error is not null)
        {
            _skipped.Add(new SkippedLine(_path, lineNumber, error));
        }
        else if (call is not null)
        {
            Add(call);
        }
    }

    /// <summary>The calls and skipped lines read, with the cursor for the next read.</summary>
    public FileReadResult Finish(ReadStart next)
    {
        var result = new FileReadResult { Next = next };
        result.Calls.AddRange(_calls);
        result.Skipped.AddRange(_skipped);
        return result;
    }

    /// <summary>
    /// The provider a model name implies, by explicit prefix only (ASCII case ignored):
    /// <c>claude-</c> → <c>anthropic</c>; <c>gpt-</c>, and <c>o1</c>, <c>o3</c>, <c>o4</c> alone or
    /// followed by <c>-</c> → <c>openai</c>; <c>gemini-</c> → <c>google</c>; anything else → null.
    /// </summary>
    internal static string? InferProvider(string model)
    {
        if (model.StartsWith("claude-", StringComparison.OrdinalIgnoreCase))
        {
            return "anthropic";
        }

        if (model.StartsWith("gpt-", StringComparison.OrdinalIgnoreCase) || IsOpenAiReasoningModel(model))
        {
            return "openai";
        }

        return model.StartsWith("gemini-", StringComparison.OrdinalIgnoreCase) ? "google" : null;
    }

    /// <summary>
    /// The key of an event without an id: a hash of its session, instant (as UTC ticks, so any
    /// spelling of the same instant agrees), model and buckets (unknown distinct from zero).
    /// </summary>
    internal static string DerivedKey(string sessionId, DateTimeOffset timestamp, string model, TokenUsage usage)
    {
        var text = new StringBuilder();
        // Length-prefixed strings: no choice of session or model name can make two events spell the same text.
        text.Append(sessionId.Length).Append(':').Append(sessionId).Append('|')
            .Append(model.Length).Append(':').Append(model).Append('|')
            .Append(timestamp.UtcTicks);
        foreach (var count in (ReadOnlySpan<long?>)[usage.Input, usage.CacheRead, usage.CacheWrite5m, usage.CacheWrite1h, usage.Output, usage.Reasoning])
        {
            text.Append('|');
            if (count is { } value)
            {
                text.Append(value.ToString(CultureInfo.InvariantCulture));
            }
            else
            {
                text.Append('-');
            }
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()));
        return "derived:" + Convert.ToHexStringLower(hash.AsSpan(0, 16));
    }

    private static bool IsOpenAiReasoningModel(string model)
    {
        foreach (var family in (ReadOnlySpan<string>)["o1", "o3", "o4"])
        {
            if (model.StartsWith(family, StringComparison.OrdinalIgnoreCase)
                && (model.Length == family.Length || model[family.Length] == '-'))
            {
                return true;
            }
        }

        return false;
    }

    private static ReadOnlySpan<byte> Clean(ReadOnlySpan<byte> line, long offset)
    {
        if (offset == 0 && line.StartsWith("\uFEFF"u8))
        {
            line = line[3..];
        }

        return line.Trim(" \t\r"u8);
    }

    private void Add(LlmCall call)
    {
        // The same event twice in one file is one call: keep the more complete copy, never sum.
        if (_callIndex.TryGetValue(call.CallKey, out var index))
        {
            if (call.Completeness > _calls[index].Completeness)
            {
                _calls[index] = call;
            }

            return;
        }

        _callIndex[call.CallKey] = _calls.Count;
        _calls.Add(call);
    }

    private string? Parse(ReadOnlySpan<byte> line, out LlmCall? call)
    {
        call = null;
        var error = Classify(line, out var shape);
        if (error is not null || shape == Shape.Other)
        {
            return error;
        }

        var fields = new EventFields();
        try
        {
            var reader = new Utf8JsonReader(line, Options);
            reader.Read(); // the object's start, as Classify saw
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (shape == Shape.Tally)
                {
                    ReadTallyProperty(ref reader, fields);
                }
                else
                {
                    ReadUsageProperty(ref reader, fields);
                }
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return NotJson; // Classify read the whole line, so this is a guard, not a path
        }

        if (fields.Error is not null)
        {
            return fields.Error;
        }

        if (string.IsNullOrWhiteSpace(fields.Model))
        {
            return MissingModel;
        }

        if (fields.Timestamp is not { } timestamp)
        {
            return MissingTimestamp;
        }

        var usage = shape == Shape.Tally ? fields.Tokens : NormaliseLlmUsage(fields);
        var sessionId = string.IsNullOrEmpty(fields.Session) ? UnknownSession : fields.Session;
        var project = string.IsNullOrEmpty(fields.Project) ? null : fields.Project;
        var recorded = !string.IsNullOrEmpty(fields.Id);
        call = new LlmCall
        {
            Source = SourceNames.Events,
            CallKey = recorded ? fields.Id! : DerivedKey(sessionId, timestamp, fields.Model, usage),
            KeyKind = recorded ? KeyKind.Recorded : KeyKind.Derived,
            SessionId = sessionId,
            Timestamp = timestamp,
            Model = fields.Model,
            Provider = string.IsNullOrEmpty(fields.Provider) ? InferProvider(fields.Model) : fields.Provider,
            Usage = usage,
            StopReason = StopReasons.Parse(fields.FinishReason),
            StopReasonRaw = string.IsNullOrEmpty(fields.FinishReason) ? null : fields.FinishReason,
            Project = project,
            ProjectKey = ProjectKeyOf(project),
            Agent = string.IsNullOrEmpty(fields.Agent) ? null : fields.Agent,
            DurationMs = fields.DurationMs,
            ReportedCost = fields.Cost,
        };
        return null;
    }

    /// <summary>
    /// The <c>llm_usage</c> counts in disjoint buckets. <c>input_tokens</c> includes the cache
    /// (LangChain's usage metadata, which these events sum); fresh input is what remains after the
    /// cache counts. A producer that wrote input without the cache shows it by a difference below
    /// zero, or by a <c>total_tokens</c> equal to input + cache + output: its input is kept as is.
    /// </summary>
    private static TokenUsage NormaliseLlmUsage(EventFields fields)
    {
        var input = fields.InputTokens;
        var cache = (fields.CacheReadTokens ?? 0) + (fields.CacheCreationTokens ?? 0);
        if (input is { } inclusive && cache > 0)
        {
            var exclusive = inclusive < cache
                || (fields.TotalTokens is { } total && total == inclusive + cache + (fields.OutputTokens ?? 0));
            input = exclusive ? inclusive : inclusive - cache;
        }

        return new TokenUsage(input, fields.CacheReadTokens, fields.CacheCreationTokens, null, fields.OutputTokens, null);
    }

    /// <summary>Checks the line is one JSON value and finds which event it is. Null on success.</summary>
    private static string? Classify(ReadOnlySpan<byte> line, out Shape shape)
    {
        shape = Shape.Other;
        try
        {
            var reader = new Utf8JsonReader(line, Options);
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                return reader.Read() ? NotJson : NotUsageEvent; // Read throws on trailing content
            }

            string? schema = null;
            string? type = null;
            var schemaWrongType = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isSchema = reader.ValueTextEquals(TallyCallFields.Schema);
                var isType = !isSchema && reader.ValueTextEquals("type"u8);
                reader.Read();
                if (isSchema)
                {
                    schemaWrongType = reader.TokenType is not (JsonTokenType.String or JsonTokenType.Null);
                    schema = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
                else if (isType && reader.TokenType == JsonTokenType.String)
                {
                    type = reader.GetString();
                }

                reader.Skip();
            }

            if (reader.Read())
            {
                return NotJson; // never reached: trailing content throws
            }

            if (schemaWrongType)
            {
                return "wrong type: schema is not a string";
            }

            if (schema is not null)
            {
                shape = Shape.Tally;
                return schema == TallySchema ? null : $"unsupported schema \"{Shorten(schema)}\"";
            }

            if (type is null)
            {
                return NotUsageEvent;
            }

            shape = type == UsageType ? Shape.LlmUsage : Shape.Other;
            return null;
        }
        catch (JsonException)
        {
            return NotJson;
        }
    }

    private static void ReadTallyProperty(ref Utf8JsonReader reader, EventFields fields)
    {
        if (reader.ValueTextEquals(TallyCallFields.Id))
        {
            reader.Read();
            fields.Id = ReadString(ref reader, "id", fields);
        }
        else if (reader.ValueTextEquals(TallyCallFields.Timestamp))
        {
            reader.Read();
            ReadTimestamp(ref reader, fields);
        }
        else if (reader.ValueTextEquals(TallyCallFields.Provider))
        {
            reader.Read();
            fields.Provider = ReadString(ref reader, "provider", fields);
        }
        else if (reader.ValueTextEquals(TallyCallFields.Model))
        {
            reader.Read();
            fields.Model = ReadString(ref reader, "model", fields);
        }
        else if (reader.ValueTextEquals(TallyCallFields.Agent))
        {
            reader.Read();
            fields.Agent = ReadString(ref reader, "agent", fields);
        }
        else if (reader.ValueTextEquals(TallyCallFields.Session))
        {
            reader.Read();
            fields.Session = ReadString(ref reader, "session", fields);
        }
        else if (reader.ValueTextEquals(TallyCallFields.Project))
        {
            reader.Read();
            fields.Project = ReadString(ref reader, "project", fields);
        }
        else if (reader.ValueTextEquals(TallyCallFields.FinishReason))
        {
            reader.Read();
            fields.FinishReason = ReadString(ref reader, "finishReason", fields);
        }
        else if (reader.ValueTextEquals(TallyCallFields.DurationMs))
        {
            reader.Read();
            fields.DurationMs = ReadWhole(ref reader, "durationMs", "negative duration: durationMs", fields);
        }
        else if (reader.ValueTextEquals(TallyCallFields.Cost))
        {
            reader.Read();
            fields.Cost = ReadCost(ref reader, fields);
        }
        else if (reader.ValueTextEquals(TallyCallFields.Tokens))
        {
            reader.Read();
            ReadTokens(ref reader, fields);
        }
        else
        {
            reader.Read();
            reader.Skip(); // schema, and fields added by later versions
        }
    }

    private static void ReadTokens(ref Utf8JsonReader reader, EventFields fields)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            fields.Fail("wrong type: tokens is not an object");
            reader.Skip();
            return;
        }

        long? input = null, cacheRead = null, cacheWrite5m = null, cacheWrite1h = null, output = null, reasoning = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals(TallyCallFields.Buckets.Input))
            {
                reader.Read();
                input = ReadCount(ref reader, "tokens.input", fields);
            }
            else if (reader.ValueTextEquals(TallyCallFields.Buckets.CacheRead))
            {
                reader.Read();
                cacheRead = ReadCount(ref reader, "tokens.cacheRead", fields);
            }
            else if (reader.ValueTextEquals(TallyCallFields.Buckets.CacheWrite5m))
            {
                reader.Read();
                cacheWrite5m = ReadCount(ref reader, "tokens.cacheWrite5m", fields);
            }
            else if (reader.ValueTextEquals(TallyCallFields.Buckets.CacheWrite1h))
            {
                reader.Read();
                cacheWrite1h = ReadCount(ref reader, "tokens.cacheWrite1h", fields);
            }
            else if (reader.ValueTextEquals(TallyCallFields.Buckets.Output))
            {
                reader.Read();
                output = ReadCount(ref reader, "tokens.output", fields);
            }
            else if (reader.ValueTextEquals(TallyCallFields.Buckets.Reasoning))
            {
                reader.Read();
                reasoning = ReadCount(ref reader, "tokens.reasoning", fields);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        fields.Tokens = new TokenUsage(input, cacheRead, cacheWrite5m, cacheWrite1h, output, reasoning);
    }

    private static void ReadUsageProperty(ref Utf8JsonReader reader, EventFields fields)
    {
        if (reader.ValueTextEquals("timestamp"u8))
        {
            reader.Read();
            ReadTimestamp(ref reader, fields);
        }
        else if (reader.ValueTextEquals("session_id"u8))
        {
            reader.Read();
            fields.Session = ReadString(ref reader, "session_id", fields);
        }
        else if (reader.ValueTextEquals("model"u8))
        {
            reader.Read();
            fields.Model = ReadString(ref reader, "model", fields);
        }
        else if (reader.ValueTextEquals("input_tokens"u8))
        {
            reader.Read();
            fields.InputTokens = ReadCount(ref reader, "input_tokens", fields);
        }
        else if (reader.ValueTextEquals("output_tokens"u8))
        {
            reader.Read();
            fields.OutputTokens = ReadCount(ref reader, "output_tokens", fields);
        }
        else if (reader.ValueTextEquals("total_tokens"u8))
        {
            reader.Read();
            fields.TotalTokens = ReadCount(ref reader, "total_tokens", fields);
        }
        else if (reader.ValueTextEquals("cache_read_input_tokens"u8))
        {
            reader.Read();
            fields.CacheReadTokens = ReadCount(ref reader, "cache_read_input_tokens", fields);
        }
        else if (reader.ValueTextEquals("cache_creation_input_tokens"u8))
        {
            reader.Read();
            fields.CacheCreationTokens = ReadCount(ref reader, "cache_creation_input_tokens", fields);
        }
        else
        {
            reader.Read();
            reader.Skip();
        }
    }

    private static string? ReadString(ref Utf8JsonReader reader, string name, EventFields fields)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                return reader.GetString();
            case JsonTokenType.Null:
                return null;
            default:
                fields.Fail($"wrong type: {name} is not a string");
                reader.Skip();
                return null;
        }
    }

    private static long? ReadCount(ref Utf8JsonReader reader, string name, EventFields fields) =>
        ReadWhole(ref reader, name, $"negative count: {name}", fields);

    private static long? ReadWhole(ref Utf8JsonReader reader, string name, string negative, EventFields fields)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.Number when reader.TryGetInt64(out var value):
                if (value < 0)
                {
                    fields.Fail(negative);
                    return null;
                }

                return value;
            default:
                fields.Fail($"wrong type: {name} is not a whole number");
                reader.Skip();
                return null;
        }
    }

    private static decimal? ReadCost(ref Utf8JsonReader reader, EventFields fields)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.Number when reader.TryGetDecimal(out var value):
                // Parsed from the number's own text: 0.0123 is exactly 0.0123, never a double's neighbour.
                if (value < 0)
                {
                    fields.Fail("negative cost");
                    return null;
                }

                return value;
            default:
                fields.Fail("wrong type: cost is not a number");
                reader.Skip();
                return null;
        }
    }

    /// <summary>
    /// An RFC 3339 date and time (ISO 8601 extended, as <see cref="Utf8JsonReader"/> reads it). One
    /// without an offset is taken as UTC; a date without a time is rejected.
    /// </summary>
    private static void ReadTimestamp(ref Utf8JsonReader reader, EventFields fields)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return;
            case JsonTokenType.String when reader.ValueSpan.IsEmpty:
                return; // an empty timestamp is a missing one
            case JsonTokenType.String:
                if (reader.ValueSpan.IndexOf((byte)'T') < 0 || !reader.TryGetDateTime(out var local))
                {
                    fields.Fail(UnparsableTimestamp);
                    return;
                }

                if (local.Kind == DateTimeKind.Unspecified)
                {
                    fields.Timestamp = new DateTimeOffset(DateTime.SpecifyKind(local, DateTimeKind.Utc));
                }
                else if (reader.TryGetDateTimeOffset(out var instant))
                {
                    fields.Timestamp = instant.ToUniversalTime();
                }
                else
                {
                    fields.Fail(UnparsableTimestamp);
                }

                return;
            default:
                fields.Fail("wrong type: timestamp is not a string");
                reader.Skip();
                return;
        }
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";

    private string? ProjectKeyOf(string? project)
    {
        if (project is null)
        {
            return null;
        }

        if (!_projectKeys.TryGetValue(project, out var key))
        {
            key = _projects.Resolve(project);
            _projectKeys[project] = key;
        }

        return key;
    }

    /// <summary>The fields of one event line; the first problem met, in line order, is kept.</summary>
    private sealed class EventFields
    {
        public string? Error;
        public string? Id;
        public DateTimeOffset? Timestamp;
        public string? Provider;
        public string? Model;
        public string? Agent;
        public string? Session;
        public string? Project;
        public string? FinishReason;
        public long? DurationMs;
        public decimal? Cost;
        public TokenUsage Tokens;
        public long? InputTokens;
        public long? OutputTokens;
        public long? TotalTokens;
        public long? CacheReadTokens;
        public long? CacheCreationTokens;

        public void Fail(string reason) => Error ??= reason;
    }
}
