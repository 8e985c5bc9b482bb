namespace Tally.Model;

/// <summary>What a call's identity (<see cref="LlmCall.CallKey"/>) was built from.</summary>
public enum KeyKind
{
    /// <summary>The provider's response/message id (Anthropic <c>msg_…</c>): unique per billed response.</summary>
    MessageId = 0,
    /// <summary>The provider's request id.</summary>
    RequestId = 1,
    /// <summary>Built from what a replay cannot change (timestamp and cumulative counters, say).</summary>
    Derived = 2,
    /// <summary>Assigned by the recorder (SDK records, imported events).</summary>
    Recorded = 3,
}
