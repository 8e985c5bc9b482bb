using Tally.Model;

namespace Tally.Extensions.AI;

/// <summary>
/// One billed provider call, as an agent hands it to <see cref="TallyRecorder.Record(LlmCallRecord)"/>.
/// Prompt and response text have no place here: Tally never stores them.
/// </summary>
/// <remarks>
/// Token counts are Tally's disjoint buckets (<see cref="TokenUsage"/>): <c>Input</c> is fresh input
/// only (neither read from nor written to the prompt cache), <c>Output</c> includes reasoning, and
/// <c>Reasoning</c> is the part of <c>Output</c> that was reasoning. A count the provider did not
/// report is <c>null</c>, never 0.
/// </remarks>
public sealed record LlmCallRecord
{
    /// <summary>The model that answered (the response's model, else the requested one). Required.</summary>
    public required string Model { get; init; }

    /// <summary>The model the request asked for, when it differs or is known apart from <see cref="Model"/> (metrics only).</summary>
    public string? RequestModel { get; init; }

    /// <summary>The provider (<c>anthropic</c>, <c>openai</c>, ...), when known.</summary>
    public string? Provider { get; init; }

    /// <summary>Token counts in disjoint buckets; <see cref="TokenUsage.None"/> when the provider reported none.</summary>
    public TokenUsage Usage { get; init; }

    /// <summary>The provider's finish/stop reason as it gave it (<c>stop</c>, <c>end_turn</c>, <c>tool_calls</c>, ...); an unrecognised one is kept and counted as <c>other</c>.</summary>
    public string? FinishReason { get; init; }

    /// <summary>From the first byte sent to the last byte received, when known.</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>When the response was received; defaults to the moment of recording.</summary>
    public DateTimeOffset? Timestamp { get; init; }

    /// <summary>The conversation (session) the call belongs to; defaults to the recorder's <see cref="TallyOptions.SessionId"/>.</summary>
    public string? ConversationId { get; init; }

    /// <summary>The call's unique id, its identity in the ledger (recording the same id twice stores one call); defaults to <see cref="ResponseId"/>, else a new id.</summary>
    public string? CallId { get; init; }

    /// <summary>The provider's response id, when known.</summary>
    public string? ResponseId { get; init; }

    /// <summary>The agent that made the call; defaults to <see cref="TallyOptions.Agent"/>.</summary>
    public string? Agent { get; init; }

    /// <summary>Free-form labels; added to (and winning over) <see cref="TallyOptions.Tags"/>.</summary>
    public IReadOnlyDictionary<string, string>? Tags { get; init; }

    /// <summary>The working directory or project, when the agent knows one.</summary>
    public string? Project { get; init; }

    /// <summary>The error that ended the call (an exception's type name), or null when it returned.</summary>
    public string? ErrorType { get; init; }

    /// <summary>The cost in USD the provider or runtime stated, when it stated one (reports otherwise price from the catalog).</summary>
    public decimal? Cost { get; init; }
}
