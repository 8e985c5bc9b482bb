namespace Tally.Model;

/// <summary>How a model call ended, normalised across providers. The raw string is kept beside it.</summary>
public enum StopReason
{
    /// <summary>The source did not say (or the call was still streaming).</summary>
    Unknown = 0,
    /// <summary>The model finished its turn.</summary>
    EndTurn = 1,
    /// <summary>The model asked for a tool.</summary>
    ToolUse = 2,
    /// <summary>The output limit cut the response.</summary>
    MaxTokens = 3,
    /// <summary>A stop sequence matched.</summary>
    StopSequence = 4,
    /// <summary>A long-running turn was paused by the provider.</summary>
    PauseTurn = 5,
    /// <summary>The model refused, or a content filter stopped it.</summary>
    Refusal = 6,
    /// <summary>A reason the source gave that has no enum value of its own (see the raw string).</summary>
    Other = 7,
}

/// <summary>Maps providers' stop/finish reason strings onto <see cref="StopReason"/>.</summary>
public static class StopReasons
{
    /// <summary>All values, in display order.</summary>
    public static IReadOnlyList<StopReason> All { get; } =
    [
        StopReason.EndTurn, StopReason.ToolUse, StopReason.MaxTokens, StopReason.StopSequence,
        StopReason.PauseTurn, StopReason.Refusal, StopReason.Other, StopReason.Unknown,
    ];

    /// <summary>
    /// Parses a raw reason from Anthropic (<c>end_turn</c>), OpenAI (<c>stop</c>, <c>length</c>,
    /// <c>tool_calls</c>), Gemini (<c>STOP</c>, <c>MAX_TOKENS</c>, <c>SAFETY</c>) or M.E.AI
    /// (<c>stop</c>, <c>length</c>, <c>tool_calls</c>, <c>content_filter</c>). Null or empty gives
    /// <see cref="StopReason.Unknown"/>; anything unrecognised gives <see cref="StopReason.Other"/>.
    /// </summary>
    public static StopReason Parse(string? raw)
    {
        if (string.IsNullOrEmpty(raw))
        {
            return StopReason.Unknown;
        }

        return raw.ToLowerInvariant() switch
        {
            "end_turn" or "endturn" or "stop" or "completed" or "complete" or "finished" => StopReason.EndTurn,
            "tool_use" or "tooluse" or "tool_calls" or "toolcalls" or "function_call" or "tool-calls" => StopReason.ToolUse,
            "max_tokens" or "maxtokens" or "length" or "max_output_tokens" or "model_context_window_exceeded" => StopReason.MaxTokens,
            "stop_sequence" or "stopsequence" => StopReason.StopSequence,
            "pause_turn" or "pauseturn" => StopReason.PauseTurn,
            "refusal" or "content_filter" or "contentfilter" or "safety" or "recitation" or "blocklist"
                or "prohibited_content" or "spii" => StopReason.Refusal,
            "unknown" => StopReason.Unknown,
            _ => StopReason.Other,
        };
    }

    /// <summary>The camelCase name used in JSON (<c>endTurn</c>, <c>toolUse</c>, ...).</summary>
    public static string JsonName(this StopReason reason) => reason switch
    {
        StopReason.EndTurn => "endTurn",
        StopReason.ToolUse => "toolUse",
        StopReason.MaxTokens => "maxTokens",
        StopReason.StopSequence => "stopSequence",
        StopReason.PauseTurn => "pauseTurn",
        StopReason.Refusal => "refusal",
        StopReason.Other => "other",
        _ => "unknown",
    };

    /// <summary>A short human label (<c>end turn</c>, <c>tool use</c>, ...).</summary>
    public static string Label(this StopReason reason) => reason switch
    {
        StopReason.EndTurn => "end turn",
        StopReason.ToolUse => "tool use",
        StopReason.MaxTokens => "max tokens",
        StopReason.StopSequence => "stop sequence",
        StopReason.PauseTurn => "pause turn",
        StopReason.Refusal => "refusal",
        StopReason.Other => "other",
        _ => "unknown",
    };
}
