namespace Tally.Extensions.AI;

/// <summary>
/// A whole run's usage, as runtimes report it at the end of a run: totals per model, the run's
/// duration and turn count (the Claude Agent SDK's result message, say). Hand it to
/// <see cref="TallyRecorder.RecordRun(RunUsageRecord)"/>.
/// </summary>
/// <remarks>
/// Each entry of <see cref="Models"/> is stored as one record of the run, keyed by (run id, model),
/// so recording the same run again replaces it instead of counting it twice. Such a record sums
/// many provider calls: prefer per-call records (<see cref="LlmCallRecord"/>) when the runtime
/// gives them. Give each model's <see cref="ModelUsage.Cost"/> when the runtime states one: the
/// catalog prices a record by its context size, which for a sum of calls is the run's, not a call's.
/// </remarks>
public sealed record RunUsageRecord
{
    /// <summary>The run's id (the session id); required.</summary>
    public required string RunId { get; init; }

    /// <summary>Usage per model name, as the runtime reported it; at least one entry.</summary>
    public required IReadOnlyDictionary<string, ModelUsage> Models { get; init; }

    /// <summary>The run's wall time, when known; stored on each of the run's records.</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>How many turns the run took, when known; stored on each of the run's records.</summary>
    public int? Turns { get; init; }

    /// <summary>When the run ended; defaults to the moment of recording.</summary>
    public DateTimeOffset? Timestamp { get; init; }

    /// <summary>The provider, when known.</summary>
    public string? Provider { get; init; }

    /// <summary>How the run ended, as the runtime said it (a stop reason such as <c>end_turn</c>), when known.</summary>
    public string? FinishReason { get; init; }

    /// <summary>The agent; defaults to <see cref="TallyOptions.Agent"/>.</summary>
    public string? Agent { get; init; }

    /// <summary>Free-form labels; added to (and winning over) <see cref="TallyOptions.Tags"/>.</summary>
    public IReadOnlyDictionary<string, string>? Tags { get; init; }

    /// <summary>The working directory or project, when known.</summary>
    public string? Project { get; init; }
}
