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
internal static class OpenCodeRecords
{
    /// <summary>Thrown for content that cannot become a record; its message is the skip reason.</summary>
    internal sealed class MalformedException(string reason) : Exception(reason);

    /// <summary>
    /// Reads a message. <paramref name="id"/> and <paramref name="sessionId"/> come from outside the
    /// JSON (file names, database columns) and are used when the JSON lacks them.
    /// </summary>
    /// <exception cref="MalformedException">Not a JSON object, no id or session, or a negative count.</exception>
    public static OpenCodeMessage ParseMessage(JsonElement root, string? id, string? sessionId)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new MalformedException("message is not a JSON object");
        }

        var messageId = String(root, "id") ?? id;
        var session = String(root, "sessionID") ?? sessionId;
        if (string.IsNullOrEmpty(messageId) || string.IsNullOrEmpty(session))
        {
            throw new MalformedException("message has no id or session id");
        }

        long? created = null, completed = null;
        if (Object(root, "time") is { } time)
        {
            created = Integer(time, "time.created", "created");
            completed = Integer(time, "time.completed", "completed");
        }

        string? cwd = null, projectRoot = null;
        if (Object(root, "path") is { } path)
        {
            cwd = String(path, "cwd");
            projectRoot = String(path, "root");
        }

        var usage = TokenUsage.None;
        var hasTokens = false;
        if (Object(root, "tokens") is { } tokens)
        {
            var input = Integer(tokens, "tokens.input", "input");
            var output = Integer(tokens, "tokens.output", "output");
            var reasoning = Integer(tokens, "tokens.reasoning", "reasoning");
            long? cacheRead = null, cacheWrite = null;
            if (Object(tokens, "cache") is { } cache)
            {
                cacheRead = Integer(cache, "tokens.cache.read", "read");
                cacheWrite = Integer(cache, "tokens.cache.write", "write");
            }

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
            String(root, "role"),
            created,
            completed,
            String(root, "modelID"),
            String(root, "providerID"),
            cwd,
            projectRoot,
            usage,
            hasTokens,
            Cost(root),
            String(root, "finish"),
            String(root, "agent") ?? String(root, "mode"));
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

    /// <summary>The part's type (<c>tool</c>, <c>step-finish</c>, <c>text</c>, ...), or null.</summary>
    public static string? PartType(JsonElement part) => part.ValueKind == JsonValueKind.Object ? String(part, "type") : null;

    /// <summary>A <c>step-finish</c> part's reason.</summary>
    public static string? StepFinishReason(JsonElement part) => String(part, "reason");

    /// <summary>
    /// A <c>tool</c> part as a tool result. The request is always there; the result (bytes, error) only
    /// once the tool has finished (status <c>completed</c> or <c>error</c>).
    /// </summary>
    /// <param name="part">The part JSON.</param>
    /// <param name="messageId">The message it belongs to, when the JSON lacks <c>messageID</c>.</param>
    /// <param name="sessionId">Its session, when the JSON lacks <c>sessionID</c>.</param>
    /// <param name="fallbackTimeMs">When the tool ran, if its state has no start time.</param>
    /// <exception cref="MalformedException">No call id, message or session.</exception>
    public static ToolResult ToToolResult(JsonElement part, string? messageId, string? sessionId, long? fallbackTimeMs)
    {
        var callId = String(part, "callID");
        var message = String(part, "messageID") ?? messageId;
        var session = String(part, "sessionID") ?? sessionId;
        if (string.IsNullOrEmpty(callId) || string.IsNullOrEmpty(session))
        {
            throw new MalformedException("tool part has no call id or session id");
        }

        string? target = null;
        long? outputBytes = null;
        bool? isError = null;
        bool? truncated = null;
        var startedMs = fallbackTimeMs;
        if (Object(part, "state") is { } state)
        {
            if (Object(state, "input") is { } input)
            {
                target = Target(input);
            }

            if (Object(state, "time") is { } time && Integer(time, "state.time.start", "start") is { } start)
            {
                startedMs = start;
            }

            var metadata = Object(state, "metadata");
            switch (String(state, "status"))
            {
                case "completed":
                    outputBytes = Utf8Length(state, "output");
                    // A shell command that exited non-zero is a failed tool call even though the tool ran.
                    isError = metadata is { } m && Integer(m, "state.metadata.exit", "exit") is { } exit && exit != 0;
                    truncated = metadata is { } t && t.TryGetProperty("truncated", out var flag) && flag.ValueKind is JsonValueKind.True or JsonValueKind.False
                        ? flag.GetBoolean()
                        : null;
                    break;
                case "error":
                    // What the agent read back was the error text.
                    outputBytes = Utf8Length(state, "error") ?? Utf8Length(state, "output");
                    isError = true;
                    break;
            }
        }

        return new ToolResult
        {
            Source = SourceNames.OpenCode,
            ToolUseId = callId,
            SessionId = session,
            CallKey = message,
            Name = String(part, "tool"),
            Target = target,
            Timestamp = startedMs is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null,
            OutputBytes = outputBytes,
            Truncated = outputBytes is null ? null : truncated,
            IsError = isError,
        };
    }

    // What the tool acted on, most specific first: grep's pattern says more than the folder it searched.
    private static readonly string[] TargetFields = ["filePath", "file_path", "command", "pattern", "url", "subagent_type", "path", "query"];

    private static string? Target(JsonElement input)
    {
        foreach (var field in TargetFields)
        {
            if (NonEmpty(String(input, field)) is { } value)
            {
                return value;
            }
        }

        return null;
    }

    private static long? Utf8Length(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? JsonStringLength.Of(value)
            : null;

    private static decimal? Cost(JsonElement root)
    {
        if (!root.TryGetProperty("cost", out var cost) || cost.ValueKind != JsonValueKind.Number)
        {
            return null;
        }

        // Parse the JSON text itself so the stated figure is kept exactly (no trip through double).
        return decimal.TryParse(cost.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : null;
    }

    private static JsonElement? Object(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object ? value : null;

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static long? Integer(JsonElement element, string label, string name)
    {
        if (!element.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.Number)
        {
            return null;
        }

        long number;
        if (!value.TryGetInt64(out number))
        {
            var real = value.GetDouble();
            if (real != Math.Floor(real) || Math.Abs(real) > long.MaxValue / 2)
            {
                throw new MalformedException($"{label} is not a whole number");
            }

            number = (long)real;
        }

        return number < 0 ? throw new MalformedException($"{label} is negative") : number;
    }
}
