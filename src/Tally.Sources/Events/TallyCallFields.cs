namespace Tally.Sources.Events;

/// <summary>
/// The field names of Tally's own usage-event schema, <c>tally.llm_call/1</c>, in one place: the
/// reader (<see cref="UsageEventLines"/>) and the writer (<see cref="UsageEventWriter"/>) both use
/// them, so the two cannot drift apart.
/// </summary>
internal static class TallyCallFields
{
    public const string SchemaName = "tally.llm_call/1";

    public static ReadOnlySpan<byte> Schema => "schema"u8;
    public static ReadOnlySpan<byte> Id => "id"u8;
    public static ReadOnlySpan<byte> Timestamp => "timestamp"u8;
    public static ReadOnlySpan<byte> Provider => "provider"u8;
    public static ReadOnlySpan<byte> Model => "model"u8;
    public static ReadOnlySpan<byte> Agent => "agent"u8;
    public static ReadOnlySpan<byte> Session => "session"u8;
    public static ReadOnlySpan<byte> Project => "project"u8;
    public static ReadOnlySpan<byte> FinishReason => "finishReason"u8;
    public static ReadOnlySpan<byte> DurationMs => "durationMs"u8;
    public static ReadOnlySpan<byte> Cost => "cost"u8;
    public static ReadOnlySpan<byte> Tokens => "tokens"u8;

    /// <summary>The buckets inside <see cref="Tokens"/>.</summary>
    public static class Buckets
    {
        public static ReadOnlySpan<byte> Input => "input"u8;
        public static ReadOnlySpan<byte> CacheRead => "cacheRead"u8;
        public static ReadOnlySpan<byte> CacheWrite5m => "cacheWrite5m"u8;
        public static ReadOnlySpan<byte> CacheWrite1h => "cacheWrite1h"u8;
        public static ReadOnlySpan<byte> Output => "output"u8;
        public static ReadOnlySpan<byte> Reasoning => "reasoning"u8;
    }
}
