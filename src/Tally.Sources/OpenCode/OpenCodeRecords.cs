using System.Globalization;
using System.Text;
using System.Text.Json;
using Tally.Model;
using Tally.Projects;
using Tally.Sources.JsonLines;

namespace Tally.Sources.OpenCode;

/// <summary>A session as OpenCode describes it: a <c>parentID</c> makes it a subagent's (child) session.</summary>
internal sealed record OpenCodeSession(string Id, string? ParentId, string? Directory, string? Title);

/// <summary>The fields of one OpenCode message that accounting needs.</summary>
internal sealed record OpenCodeMessage(
    string Id,
    string SessionId,
    string? Role,
    long? CreatedMs,
    long? CompletedMs,
    string? ModelId,
    string? ProviderId,
    string? Cwd,
    string? Root,
    TokenUsage Usage,
    bool HasTokens,
    decimal? Cost,
    string? Finish,
    string? Agent);

/// <summary>
/// Turns OpenCode's message and part JSON, which is the same in the <c>storage/</c> files and the
/// database's <c>data</c> column (the database keeps <c>id</c> and <c>sessionID</c> in columns
/// instead), into records. Both layouts go through here so the same message gives the same call.
/// </summary>
/// <remarks>
/// The JSON is read in one pass with <see cref="LineJsonReader"/>, which notes where each wanted
/// value lies; values are decoded only once the whole text has proved valid JSON, and only those
/// that are used (a part's ids, say, only if it is a tool part). The outcome is what a
/// <see cref="JsonDocument"/> lookup gives: invalid JSON is reported before any malformed value,
/// malformed values are reported in a fixed order whatever the order of the properties, and of a
/// property written twice the last one counts.
/// </remarks>
internal static class OpenCodeRecords
{
    /// <summary>Thrown for content that cannot become a record; its message is the skip reason.</summary>
    internal sealed class MalformedException(string reason) : Exception(reason);

    /// <summary>
    /// The skip reason for a record whose text could not be decoded (invalid UTF-8, or half a
    /// surrogate pair escaped), which the readers raise as <see cref="InvalidOperationException"/>.
    /// </summary>
    internal const string NotUtf8 = "a string is not valid UTF-8 text";

    [ThreadStatic]
    private static Utf8StringCache? t_strings;

    /// <summary>This thread's cache of the values that recur from message to message and part to part.</summary>
    internal static Utf8StringCache Strings => t_strings ??= new Utf8StringCache();

    /// <summary>
    /// Reads a message. <paramref name="id"/> and <paramref name="sessionId"/> come from outside the
    /// JSON (database columns) and are used when the JSON lacks them.
    /// </summary>
    /// <exception cref="JsonException">Not valid JSON.</exception>
    /// <exception cref="MalformedException">Not a JSON object, no id or session, or a negative count.</exception>
    public static OpenCodeMessage ParseMessage(ReadOnlySpan<byte> json, string? id, string? sessionId) =>
        ParseMessage(json, new MessageOrigin(id, sessionId, null));

    /// <summary>
    /// Reads a message file of the <c>storage/</c> layout, whose name is the message id and whose
    /// folder is the session id, used when the JSON lacks them.
    /// </summary>
    /// <exception cref="JsonException">Not valid JSON.</exception>
    /// <exception cref="MalformedException">Not a JSON object, no id or session, or a negative count.</exception>
    public static OpenCodeMessage ParseMessageFile(ReadOnlySpan<byte> json, string path) =>
        ParseMessage(json, new MessageOrigin(null, null, path));

    private static OpenCodeMessage ParseMessage(ReadOnlySpan<byte> json, MessageOrigin origin)
    {
        var reader = new LineJsonReader(json, default);
        var message = default(MessageTokens);
        var isObject = ReadRoot(ref reader);
        if (isObject)
        {
            while (NextProperty(ref reader))
            {
                if (reader.ValueTextEquals("id"u8))
                {
                    message.Id = Value(ref reader);
                }
                else if (reader.ValueTextEquals("sessionID"u8))
                {
                    message.SessionId = Value(ref reader);
                }
                else if (reader.ValueTextEquals("role"u8))
                {
                    message.Role = Value(ref reader);
                }
                else if (reader.ValueTextEquals("modelID"u8))
                {
                    message.ModelId = Value(ref reader);
                }
                else if (reader.ValueTextEquals("providerID"u8))
                {
                    message.ProviderId = Value(ref reader);
                }
                else if (reader.ValueTextEquals("finish"u8))
                {
                    message.Finish = Value(ref reader);
                }
                else if (reader.ValueTextEquals("agent"u8))
                {
                    message.Agent = Value(ref reader);
                }
                else if (reader.ValueTextEquals("mode"u8))
                {
                    message.Mode = Value(ref reader);
                }
                else if (reader.ValueTextEquals("cost"u8))
                {
                    message.Cost = Value(ref reader);
                }
                else if (reader.ValueTextEquals("time"u8))
                {
                    message.Created = message.Completed = default;
                    if (EnterObject(ref reader))
                    {
                        while (NextProperty(ref reader))
                        {
                            if (reader.ValueTextEquals("created"u8))
                            {
                                message.Created = Value(ref reader);
                            }
                            else if (reader.ValueTextEquals("completed"u8))
                            {
                                message.Completed = Value(ref reader);
                            }
                            else
                            {
                                SkipValue(ref reader);
                            }
                        }
                    }
                }
                else if (reader.ValueTextEquals("path"u8))
                {
                    message.Cwd = message.Root = default;
                    if (EnterObject(ref reader))
                    {
                        while (NextProperty(ref reader))
                        {
                            if (reader.ValueTextEquals("cwd"u8))
                            {
                                message.Cwd = Value(ref reader);
                            }
                            else if (reader.ValueTextEquals("root"u8))
                            {
                                message.Root = Value(ref reader);
                            }
                            else
                            {
                                SkipValue(ref reader);
                            }
                        }
                    }
                }
                else if (reader.ValueTextEquals("tokens"u8))
                {
                    message.Input = message.Output = message.Reasoning = message.CacheRead = message.CacheWrite = default;
                    message.HasTokens = EnterObject(ref reader);
                    if (message.HasTokens)
                    {
                        ReadTokens(ref reader, ref message);
                    }
                }
                else
                {
                    SkipValue(ref reader);
                }
            }
        }

        EndRoot(ref reader);
        if (!isObject)
        {
            throw new MalformedException("message is not a JSON object");
        }

        var messageId = message.Id.String(json) ?? origin.Id;
        var strings = Strings;
        var session = message.SessionId.String(json, strings) ?? origin.SessionId;
        if (string.IsNullOrEmpty(messageId) || string.IsNullOrEmpty(session))
        {
            throw new MalformedException("message has no id or session id");
        }

        var created = Count(message.Created, "time.created");
        var completed = Count(message.Completed, "time.completed");
        var cwd = message.Cwd.String(json, strings);
        var projectRoot = message.Root.String(json, strings);

        var usage = TokenUsage.None;
        var hasTokens = false;
        if (message.HasTokens)
        {
            var input = Count(message.Input, "tokens.input");
            var output = Count(message.Output, "tokens.output");
            var reasoning = Count(message.Reasoning, "tokens.reasoning");
            var cacheRead = Count(message.CacheRead, "tokens.cache.read");
            var cacheWrite = Count(message.CacheWrite, "tokens.cache.write");

            // OpenCode stores input already net of cache (Session.getUsage subtracts cached tokens for
            // providers whose input includes them), so input, cache read and cache write are disjoint
            // as they stand. Reasoning is kept outside output but billed as output.
            usage = new TokenUsage(input, cacheRead, cacheWrite, null, TokenUsage.Add(output, reasoning), reasoning);

            // A new assistant message is written with every count at 0 before its first step finishes;
            // until a count is non-zero there is nothing billed to record.
            hasTokens = (input ?? 0) + (output ?? 0) + (reasoning ?? 0) + (cacheRead ?? 0) + (cacheWrite ?? 0) > 0;
        }

        return new OpenCodeMessage(
            messageId,
            session,
            message.Role.String(json, strings),
            created,
            completed,
            message.ModelId.String(json, strings),
            message.ProviderId.String(json, strings),
            cwd,
            projectRoot,
            usage,
            hasTokens,
            message.Cost.Decimal(json),
            message.Finish.String(json, strings),
            message.Agent.String(json, strings) ?? message.Mode.String(json, strings));
    }

    private static void ReadTokens(ref LineJsonReader reader, ref MessageTokens message)
    {
        var hasCache = false;
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("input"u8))
            {
                message.Input = Value(ref reader);
            }
            else if (reader.ValueTextEquals("output"u8))
            {
                message.Output = Value(ref reader);
            }
            else if (reader.ValueTextEquals("reasoning"u8))
            {
                message.Reasoning = Value(ref reader);
            }
            else if (reader.ValueTextEquals("cache"u8))
            {
                message.CacheRead = message.CacheWrite = default;
                hasCache = EnterObject(ref reader);
                while (hasCache && NextProperty(ref reader))
                {
                    if (reader.ValueTextEquals("read"u8))
                    {
                        message.CacheRead = Value(ref reader);
                    }
                    else if (reader.ValueTextEquals("write"u8))
                    {
                        message.CacheWrite = Value(ref reader);
                    }
                    else
                    {
                        SkipValue(ref reader);
                    }
                }
            }
            else
            {
                SkipValue(ref reader);
            }
        }
    }

    /// <summary>Reads a part: its type, and what accounting needs of a tool or step-finish part.</summary>
    /// <exception cref="JsonException">Not valid JSON.</exception>
    public static OpenCodePart ParsePart(ReadOnlySpan<byte> json)
    {
        var reader = new LineJsonReader(json, default);
        var part = new OpenCodePart(json);
        if (ReadRoot(ref reader))
        {
            while (NextProperty(ref reader))
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    part.Type = Value(ref reader);
                }
                else if (reader.ValueTextEquals("reason"u8))
                {
                    part.Reason = Value(ref reader);
                }
                else if (reader.ValueTextEquals("callID"u8))
                {
                    part.CallId = Value(ref reader);
                }
                else if (reader.ValueTextEquals("messageID"u8))
                {
                    part.MessageId = Value(ref reader);
                }
                else if (reader.ValueTextEquals("sessionID"u8))
                {
                    part.SessionId = Value(ref reader);
                }
                else if (reader.ValueTextEquals("tool"u8))
                {
                    part.Tool = Value(ref reader);
                }
                else if (reader.ValueTextEquals("state"u8))
                {
                    part.State = default;
                    part.HasState = EnterObject(ref reader);
                    if (part.HasState)
                    {
                        ReadState(ref reader, ref part.State);
                    }
                }
                else
                {
                    SkipValue(ref reader);
                }
            }

            part.IsObject = true;
        }

        EndRoot(ref reader);
        return part;
    }

    private static void ReadState(ref LineJsonReader reader, ref StateTokens state)
    {
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("status"u8))
            {
                state.Status = Value(ref reader);
            }
            else if (reader.ValueTextEquals("output"u8))
            {
                state.Output = Value(ref reader);
            }
            else if (reader.ValueTextEquals("error"u8))
            {
                state.Error = Value(ref reader);
            }
            else if (reader.ValueTextEquals("input"u8))
            {
                state.Targets = default;
                if (EnterObject(ref reader))
                {
                    while (NextProperty(ref reader))
                    {
                        var field = TargetField(ref reader);
                        if (field < 0)
                        {
                            SkipValue(ref reader);
                        }
                        else
                        {
                            state.Targets[field] = Value(ref reader);
                        }
                    }
                }
            }
            else if (reader.ValueTextEquals("time"u8))
            {
                state.Start = default;
                if (EnterObject(ref reader))
                {
                    while (NextProperty(ref reader))
                    {
                        if (reader.ValueTextEquals("start"u8))
                        {
                            state.Start = Value(ref reader);
                        }
                        else
                        {
                            SkipValue(ref reader);
                        }
                    }
                }
            }
            else if (reader.ValueTextEquals("metadata"u8))
            {
                state.Exit = state.Truncated = default;
                state.HasMetadata = EnterObject(ref reader);
                while (state.HasMetadata && NextProperty(ref reader))
                {
                    if (reader.ValueTextEquals("exit"u8))
                    {
                        state.Exit = Value(ref reader);
                    }
                    else if (reader.ValueTextEquals("truncated"u8))
                    {
                        state.Truncated = Value(ref reader);
                    }
                    else
                    {
                        SkipValue(ref reader);
                    }
                }
            }
            else
            {
                SkipValue(ref reader);
            }
        }
    }

    /// <summary>Reads a session (a <c>storage/session</c> file); null when it has no id.</summary>
    public static OpenCodeSession? ParseSession(JsonElement root) =>
        root.ValueKind == JsonValueKind.Object && String(root, "id") is { Length: > 0 } id
            ? new OpenCodeSession(id, NonEmpty(String(root, "parentID")), String(root, "directory"), String(root, "title"))
            : null;

    /// <summary>
    /// The call an assistant message stands for, or null when it is not one (a user message, or an
    /// assistant message with no tokens yet).
    /// </summary>
    /// <param name="message">The message.</param>
    /// <param name="session">Its session, when known.</param>
    /// <param name="stepFinishReason">The last <c>step-finish</c> part's reason, the stop reason when the message has no <c>finish</c>.</param>
    /// <param name="projects">Resolves the project key.</param>
    public static LlmCall? ToCall(OpenCodeMessage message, OpenCodeSession? session, string? stepFinishReason, ProjectKeyResolver projects)
    {
        if (message.Role != "assistant" || !message.HasTokens)
        {
            return null;
        }

        // The response arrived when the message completed; a message still open has only its start.
        var at = message.CompletedMs ?? message.CreatedMs;
        if (at is null)
        {
            return null;
        }

        var project = message.Cwd ?? session?.Directory ?? message.Root;
        var stopRaw = message.Finish ?? stepFinishReason;
        var isChild = session?.ParentId is not null;

        // A stated 0 beside non-zero tokens is OpenCode not knowing the price (ccusage #1348), not a free call.
        var cost = message.Cost is { } c && (c < 0 || (c == 0 && message.Usage.BilledTokens > 0)) ? null : message.Cost;

        return new LlmCall
        {
            Source = SourceNames.OpenCode,
            CallKey = message.Id,
            KeyKind = KeyKind.MessageId,
            SessionId = message.SessionId,
            Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(at.Value),
            Model = message.ModelId ?? "unknown",
            Provider = message.ProviderId,
            Usage = message.Usage,
            StopReason = StopReasons.Parse(stopRaw),
            StopReasonRaw = stopRaw,
            Project = project,
            ProjectKey = projects.Resolve(project),
            Agent = isChild ? message.Agent ?? NonEmpty(session!.Title) ?? "subagent" : null,
            IsSidechain = isChild,
            ParentSessionId = session?.ParentId,
            DurationMs = message.CreatedMs is { } start && message.CompletedMs is { } end && end >= start ? end - start : null,
            ReportedCost = cost,
        };
    }

    // What the tool acted on, most specific first: grep's pattern says more than the folder it searched.
    private static readonly byte[][] TargetFields =
        [.. new[] { "filePath", "file_path", "command", "pattern", "url", "subagent_type", "path", "query" }.Select(Encoding.UTF8.GetBytes)];

    /// <summary>The index in <see cref="TargetFields"/> of the property the reader is on, or -1.</summary>
    private static int TargetField(ref LineJsonReader reader)
    {
        for (var i = 0; i < TargetFields.Length; i++)
        {
            if (reader.ValueTextEquals(TargetFields[i]))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Reads the first token; true when it starts an object (whose properties follow), else the value is skipped.</summary>
    private static bool ReadRoot(ref LineJsonReader reader)
    {
        reader.Read(); // no token at all is invalid JSON: the reader throws
        if (reader.TokenType == JsonTokenType.StartObject)
        {
            return true;
        }

        reader.Skip();
        return false;
    }

    /// <summary>Checks that nothing but white space follows the root value: the reader throws otherwise.</summary>
    private static void EndRoot(ref LineJsonReader reader) => _ = reader.Read();

    /// <summary>Moves to the next property of the current object; false at its end.</summary>
    private static bool NextProperty(ref LineJsonReader reader) => reader.Read() && reader.TokenType == JsonTokenType.PropertyName;

    /// <summary>Moves from a property name to its value; true when that value is an object to read, else it is skipped.</summary>
    private static bool EnterObject(ref LineJsonReader reader)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.StartObject)
        {
            return true;
        }

        reader.Skip();
        return false;
    }

    private static void SkipValue(ref LineJsonReader reader)
    {
        reader.Read();
        reader.Skip();
    }

    /// <summary>Moves from a property name to its value and notes where it lies; a container is skipped.</summary>
    private static JsonToken Value(ref LineJsonReader reader)
    {
        reader.Read();
        var token = new JsonToken(ref reader);
        reader.Skip();
        return token;
    }

    /// <summary>A count: a whole, non-negative number (written with a fraction or an exponent or not); null when not a number.</summary>
    /// <param name="token">The value.</param>
    /// <param name="label">The value's name in a skip reason.</param>
    /// <exception cref="MalformedException">A number that is not whole, or is negative.</exception>
    internal static long? Count(JsonToken token, string label)
    {
        if (token.Kind != JsonTokenType.Number)
        {
            return null;
        }

        long number;
        if (token.Int64 is { } whole)
        {
            number = whole;
        }
        else
        {
            var real = token.Double;
            if (real != Math.Floor(real) || Math.Abs(real) > long.MaxValue / 2)
            {
                throw new MalformedException($"{label} is not a whole number");
            }

            number = (long)real;
        }

        return number < 0 ? throw new MalformedException($"{label} is negative") : number;
    }

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    /// <summary>Where a message's id and session come from when its JSON lacks them: database columns, or a storage file's name and folder.</summary>
    private readonly struct MessageOrigin(string? id, string? sessionId, string? file)
    {
        public string? Id => file is null ? id : Path.GetFileNameWithoutExtension(file);

        public string? SessionId => file is null ? sessionId : Path.GetFileName(Path.GetDirectoryName(file));
    }

    /// <summary>The values of a message that accounting reads, as found in its JSON.</summary>
    private struct MessageTokens
    {
        public JsonToken Id, SessionId, Role, ModelId, ProviderId, Finish, Agent, Mode, Cost;
        public JsonToken Created, Completed, Cwd, Root;
        public bool HasTokens;
        public JsonToken Input, Output, Reasoning, CacheRead, CacheWrite;
    }
}
