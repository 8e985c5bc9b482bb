using Tally.Model;

namespace Tally.Ledger;

/// <summary>
/// The rules by which a ledger merges a new sighting of a stored record (see
/// <see cref="IngestBatch"/>): every ledger applies them, in SQL or in memory, so that the same
/// records give the same ledger whatever the order and the batches they arrive in.
/// </summary>
public static class RecordMerge
{
    /// <summary>
    /// What the upsert makes of a stored call and a new sighting: usage and outcome from the more
    /// complete one (ties keep the stored), where the call was made from the earlier one (ties on
    /// time go to the smaller session id, then keep the stored).
    /// </summary>
    public static LlmCall Merge(LlmCall stored, LlmCall next)
    {
        var complete = next.Completeness > stored.Completeness ? next : stored;
        var earliest = IsEarlier(next, stored) ? next : stored;
        return complete with
        {
            SessionId = earliest.SessionId,
            Timestamp = earliest.Timestamp,
            Project = earliest.Project,
            ProjectKey = earliest.ProjectKey,
            Agent = earliest.Agent,
            ParentSessionId = earliest.ParentSessionId,
            IsSidechain = earliest.IsSidechain,
            User = earliest.User,
            Host = earliest.Host,
        };
    }

    /// <summary>Times compare to the millisecond, the precision both ledgers keep.</summary>
    private static bool IsEarlier(LlmCall next, LlmCall stored)
    {
        var nextMs = next.Timestamp.ToUnixTimeMilliseconds();
        var storedMs = stored.Timestamp.ToUnixTimeMilliseconds();
        return nextMs < storedMs || (nextMs == storedMs && Utf8Order.Compare(next.SessionId, stored.SessionId) < 0);
    }

    /// <summary>What the upsert makes of a stored tool result and a new sighting: each field the first non-null value.</summary>
    public static ToolResult Merge(ToolResult stored, ToolResult next) => stored with
    {
        CallKey = stored.CallKey ?? next.CallKey,
        Name = stored.Name ?? next.Name,
        Target = stored.Target ?? next.Target,
        Timestamp = stored.Timestamp ?? next.Timestamp,
        OutputBytes = stored.OutputBytes ?? next.OutputBytes,
        Truncated = stored.Truncated ?? next.Truncated,
        IsError = stored.IsError ?? next.IsError,
        ConsumerCallKey = stored.ConsumerCallKey ?? next.ConsumerCallKey,
    };
}

/// <summary>
/// Orders strings as their UTF-8 bytes compare: the order of SQLite's BINARY collation and of
/// PostgreSQL's <c>"C"</c> collation. It is code-point order, which differs from
/// <see cref="string.CompareOrdinal(string, string)"/> (UTF-16 units) only beyond U+FFFF.
/// </summary>
public static class Utf8Order
{
    /// <summary>Compares two strings in UTF-8 byte order.</summary>
    public static int Compare(string a, string b)
    {
        // Most keys share a long prefix (the source, an id's fixed start): skip it a vector at a time.
        var i = a.AsSpan().CommonPrefixLength(b);
        if (i == a.Length || i == b.Length)
        {
            return a.Length.CompareTo(b.Length);
        }

        // A surrogate (a code point beyond U+FFFF) sorts after every other UTF-16 unit.
        var x = char.IsSurrogate(a[i]) ? a[i] + 0x10000 : a[i];
        var y = char.IsSurrogate(b[i]) ? b[i] + 0x10000 : b[i];
        return x.CompareTo(y);
    }
}
