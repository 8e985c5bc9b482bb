namespace Tally.Model;

/// <summary>
/// One billed provider API call (an inference). Its identity is (<see cref="Source"/>,
/// <see cref="CallKey"/>): never the file or session it was read from, because resumed, forked and
/// subagent files replay calls they did not make.
/// </summary>
public sealed record LlmCall
{
    /// <summary>Where the call was read from (see <see cref="SourceNames"/>).</summary>
    public required string Source { get; init; }

    /// <summary>The call's identity within its source.</summary>
    public required string CallKey { get; init; }

    /// <summary>What <see cref="CallKey"/> was built from.</summary>
    public KeyKind KeyKind { get; init; }

    /// <summary>The session in which the call was first made.</summary>
    public required string SessionId { get; init; }

    /// <summary>When the response was received (UTC).</summary>
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>The model as the source reported it.</summary>
    public required string Model { get; init; }

    /// <summary>The provider (<c>anthropic</c>, <c>openai</c>, ...), when known.</summary>
    public string? Provider { get; init; }

    /// <summary>Token counts in disjoint buckets.</summary>
    public TokenUsage Usage { get; init; }

    /// <summary>How the call ended.</summary>
    public StopReason StopReason { get; init; }

    /// <summary>The stop reason exactly as the source wrote it.</summary>
    public string? StopReasonRaw { get; init; }

    /// <summary>The working directory / project path, when known.</summary>
    public string? Project { get; init; }

    /// <summary>A git-canonical project key (origin remote, else the main worktree root), when a repository was found.</summary>
    public string? ProjectKey { get; init; }

    /// <summary>The provider's request id, when known (kept for reference; the identity is <see cref="CallKey"/>).</summary>
    public string? RequestId { get; init; }

    /// <summary>The subagent that made the call, or null for the main agent.</summary>
    public string? Agent { get; init; }

    /// <summary>The session that started this call's session, when the call ran in a child (subagent) session of its own.</summary>
    public string? ParentSessionId { get; init; }

    /// <summary>Whether the call was made on a sidechain (a subagent's own conversation).</summary>
    public bool IsSidechain { get; init; }

    /// <summary>Wall time of the call in milliseconds, when known.</summary>
    public long? DurationMs { get; init; }

    /// <summary>The cost the source itself stated, in USD, when it stated one.</summary>
    public decimal? ReportedCost { get; init; }

    /// <summary>Who wrote the record (user name), for shared ledgers.</summary>
    public string? User { get; init; }

    /// <summary>Which machine wrote the record, for shared ledgers.</summary>
    public string? Host { get; init; }

    /// <summary>
    /// The error that ended the call (an exception's type name, as OpenTelemetry's <c>error.type</c>),
    /// or null for a call that returned. A failed call's usage is unknown.
    /// </summary>
    public string? ErrorType { get; init; }

    /// <summary>Free-form labels the recorder attached (the .NET SDK's options), or null for none.</summary>
    public IReadOnlyDictionary<string, string>? Tags { get; init; }

    /// <summary>
    /// For a record that sums a whole run's use of one model (the SDK's aggregate form): how many
    /// turns the run took. Null for a record of one call.
    /// </summary>
    public int? RunTurns { get; init; }

    /// <summary>
    /// How complete this observation of the call is; when the same call is seen twice (streaming
    /// snapshots, replays) the more complete one wins and usage is overwritten, never summed.
    /// </summary>
    public long Completeness => Completion(StopReason != StopReason.Unknown, Usage.Output ?? 0, Usage.BilledTokens);

    /// <summary>The completeness ordering shared by readers and ledgers: finished first, then more output, then more tokens.</summary>
    public static long Completion(bool finished, long output, long billed) =>
        (finished ? 1L << 62 : 0L) + (Math.Clamp(output, 0, (1L << 30) - 1) << 31) + Math.Clamp(billed, 0, (1L << 31) - 1);
}
