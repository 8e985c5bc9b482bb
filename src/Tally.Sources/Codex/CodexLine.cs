namespace Tally.Sources.Codex;

/// <summary>The kinds of rollout line the reader uses; anything else is <see cref="Other"/>.</summary>
internal enum CodexLineType
{
    Other = 0,
    SessionMeta,
    TurnContext,
    ResponseItem,
    EventMsg,
}

/// <summary>The payload types the reader uses; anything else (or no string at all) is <see cref="Other"/>.</summary>
internal enum CodexPayloadType
{
    Other = 0,
    FunctionCall,
    CustomToolCall,
    LocalShellCall,
    FunctionCallOutput,
    CustomToolCallOutput,
    TokenCount,
    ExecCommandEnd,
    PatchApplyEnd,
}

/// <summary>
/// One <c>token_count</c> usage object (<c>total_token_usage</c> or <c>last_token_usage</c>).
/// Cached input is part of input and reasoning part of output, as Codex reports them. A field the
/// line did not carry is null.
/// </summary>
internal readonly record struct CodexCounts(long? Input, long? Cached, long? Output, long? Reasoning)
{
    /// <summary>Whether any reported count is above zero.</summary>
    public bool AnyPositive => Input > 0 || Cached > 0 || Output > 0 || Reasoning > 0;

    /// <summary>Whether any count reported in both is lower here than in <paramref name="earlier"/>.</summary>
    public bool AnyBelow(CodexCounts earlier) =>
        Input < earlier.Input || Cached < earlier.Cached || Output < earlier.Output || Reasoning < earlier.Reasoning;

    /// <summary>The field-wise difference; null where either side did not report the field.</summary>
    public CodexCounts Minus(CodexCounts earlier) => new(
        Input - earlier.Input, Cached - earlier.Cached, Output - earlier.Output, Reasoning - earlier.Reasoning);
}

/// <summary>The fields of one rollout line that the reader uses. Reused line after line.</summary>
internal sealed class CodexLine
{
    /// <summary>The line's timestamp as written; decoded only for a <c>token_count</c> event, whose call key it is part of.</summary>
    public string? Timestamp;

    /// <summary>The line's timestamp, when it is one.</summary>
    public DateTimeOffset? Time;

    public CodexLineType Type;
    public CodexPayloadType PayloadType;

    // session_meta / turn_context
    public string? Id;
    public string? Cwd;
    public string? Model;
    public bool ForkMarker;

    // event_msg token_count
    public bool HasInfo;
    public bool InfoIsNull;
    public CodexCounts? Total;
    public CodexCounts? Last;
    public string? InfoModel;

    // tools
    public string? CallId;
    public string? Name;
    public string? Arguments;
    public string? Input;
    public bool HasOutput;
    public long OutputBytes;
    public bool OutputTruncated;
    public bool? OutputError;
    public long? ExitCode;
    public bool? Success;

    public void Reset()
    {
        Timestamp = null;
        Time = null;
        Type = CodexLineType.Other;
        ResetPayload();
    }

    /// <summary>Forgets what the payload said (everything but the timestamp and the line type).</summary>
    public void ResetPayload()
    {
        PayloadType = CodexPayloadType.Other;
        Id = null;
        Cwd = null;
        Model = null;
        ForkMarker = false;
        HasInfo = false;
        InfoIsNull = false;
        Total = null;
        Last = null;
        InfoModel = null;
        CallId = null;
        Name = null;
        Arguments = null;
        Input = null;
        HasOutput = false;
        OutputBytes = 0;
        OutputTruncated = false;
        OutputError = null;
        ExitCode = null;
        Success = null;
    }
}
