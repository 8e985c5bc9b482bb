using System.Runtime.CompilerServices;
using System.Text.Json;
using Tally.Model;
using Tally.Sources.JsonLines;

namespace Tally.Sources.OpenCode;

/// <summary>
/// One part as read by <see cref="OpenCodeRecords.ParsePart"/>: where its values lie in its JSON,
/// which must stay unchanged while the part is used.
/// </summary>
internal ref struct OpenCodePart
{
    private readonly ReadOnlySpan<byte> _json;
    internal bool IsObject;
    internal JsonToken Type, Reason, CallId, MessageId, SessionId, Tool;
    internal bool HasState;
    internal StateTokens State;

    internal OpenCodePart(ReadOnlySpan<byte> json) => _json = json;

    /// <summary>Whether the part is a <c>tool</c> part.</summary>
    public readonly bool IsTool => IsObject && Type.TextEquals(_json, "tool");

    /// <summary>Whether the part is a <c>step-finish</c> part.</summary>
    public readonly bool IsStepFinish => IsObject && Type.TextEquals(_json, "step-finish");

    /// <summary>A <c>step-finish</c> part's reason.</summary>
    public readonly string? StepFinishReason => Reason.String(_json, OpenCodeRecords.Strings);

    /// <summary>
    /// A <c>tool</c> part as a tool result. The request is always there; the result (bytes, error) only
    /// once the tool has finished (status <c>completed</c> or <c>error</c>).
    /// </summary>
    /// <param name="messageId">The message it belongs to, when the JSON lacks <c>messageID</c>.</param>
    /// <param name="sessionId">Its session, when the JSON lacks <c>sessionID</c>.</param>
    /// <param name="fallbackTimeMs">When the tool ran, if its state has no start time.</param>
    /// <exception cref="OpenCodeRecords.MalformedException">No call id or session, or a start time or exit code that is not a whole number.</exception>
    public readonly ToolResult ToToolResult(string? messageId, string? sessionId, long? fallbackTimeMs)
    {
        var callId = CallId.String(_json);
        var message = MessageId.String(_json, messageId) ?? messageId;
        var session = SessionId.String(_json, sessionId) ?? sessionId;
        if (string.IsNullOrEmpty(callId) || string.IsNullOrEmpty(session))
        {
            throw new OpenCodeRecords.MalformedException("tool part has no call id or session id");
        }

        string? target = null;
        long? outputBytes = null;
        bool? isError = null;
        bool? truncated = null;
        var startedMs = fallbackTimeMs;
        if (HasState)
        {
            target = State.Target(_json);
            if (OpenCodeRecords.Count(State.Start, "state.time.start") is { } start)
            {
                startedMs = start;
            }

            if (State.Status.TextEquals(_json, "completed"))
            {
                outputBytes = State.Output.Utf8Length(_json);
                // A shell command that exited non-zero is a failed tool call even though the tool ran.
                isError = State.HasMetadata && OpenCodeRecords.Count(State.Exit, "state.metadata.exit") is { } exit && exit != 0;
                truncated = State.HasMetadata ? State.Truncated.Boolean : null;
            }
            else if (State.Status.TextEquals(_json, "error"))
            {
                // What the agent read back was the error text.
                outputBytes = State.Error.Utf8Length(_json) ?? State.Output.Utf8Length(_json);
                isError = true;
            }
        }

        return new ToolResult
        {
            Source = SourceNames.OpenCode,
            ToolUseId = callId,
            SessionId = session,
            CallKey = message,
            Name = Tool.String(_json, OpenCodeRecords.Strings),
            Target = target,
            Timestamp = startedMs is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null,
            OutputBytes = outputBytes,
            Truncated = outputBytes is null ? null : truncated,
            IsError = isError,
        };
    }
}

/// <summary>The values of a tool part's <c>state</c> that accounting reads, as found in its JSON.</summary>
internal struct StateTokens
{
    public JsonToken Status, Output, Error, Start, Exit, Truncated;
    public bool HasMetadata;
    public TargetTokens Targets;

    /// <summary>The first non-empty string of the input's target fields, in their order of preference.</summary>
    public readonly string? Target(ReadOnlySpan<byte> json)
    {
        foreach (var field in Targets)
        {
            if (field.String(json) is { Length: > 0 } value)
            {
                return value;
            }
        }

        return null;
    }
}

/// <summary>The input's target fields, in the order of <c>OpenCodeRecords.TargetFields</c>.</summary>
[InlineArray(8)]
internal struct TargetTokens
{
    private JsonToken _first;
}
