using Tally.Model;

namespace Tally.Ledger.Postgres;

/// <summary>
/// Folds the rows of one batch that share an identity into one row, by the same rules the upsert
/// applies against stored rows (see <see cref="IngestBatch"/>). PostgreSQL cannot upsert the same
/// key twice in one statement, and folding first also sends less. The rules are associative, so
/// folding then upserting gives what upserting row by row would.
/// </summary>
internal static class BatchMerge
{
    /// <summary>One call per (source, call key), in key order (so concurrent writers lock rows in the same order and never deadlock).</summary>
    public static List<LlmCall> Calls(IEnumerable<LlmCall> calls)
    {
        var merged = new Dictionary<(string, string), LlmCall>();
        foreach (var call in calls)
        {
            var key = (call.Source, call.CallKey);
            merged[key] = merged.TryGetValue(key, out var stored) ? Merge(stored, call) : call;
        }

        return Ordered(merged);
    }

    /// <summary>One tool result per (source, tool-use id), each field the first non-null value seen, in key order.</summary>
    public static List<ToolResult> ToolResults(IEnumerable<ToolResult> results)
    {
        var merged = new Dictionary<(string, string), ToolResult>();
        foreach (var result in results)
        {
            var key = (result.Source, result.ToolUseId);
            merged[key] = merged.TryGetValue(key, out var stored) ? Merge(stored, result) : result;
        }

        return Ordered(merged);
    }

    /// <summary>One cursor per (source, path), the last one given, in key order.</summary>
    public static List<FileCursor> Cursors(IEnumerable<FileCursor> cursors)
    {
        var merged = new Dictionary<(string, string), FileCursor>();
        foreach (var cursor in cursors)
        {
            merged[(cursor.Source, cursor.Path)] = cursor;
        }

        return Ordered(merged);
    }

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

    private static ToolResult Merge(ToolResult stored, ToolResult next) => stored with
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

    private static List<T> Ordered<T>(Dictionary<(string, string), T> rows)
    {
        var entries = rows.ToArray();
        Array.Sort(entries, (a, b) => Utf8Order.Compare(a.Key.Item1, b.Key.Item1) is var c && c != 0 ? c : Utf8Order.Compare(a.Key.Item2, b.Key.Item2));
        var ordered = new List<T>(entries.Length);
        foreach (var entry in entries)
        {
            ordered.Add(entry.Value);
        }

        return ordered;
    }
}

/// <summary>
/// Orders strings as their UTF-8 bytes compare: the order of SQLite's BINARY collation and of
/// PostgreSQL's <c>"C"</c> collation. It is code-point order, which differs from
/// <see cref="string.CompareOrdinal(string, string)"/> (UTF-16 units) only beyond U+FFFF.
/// </summary>
internal static class Utf8Order
{
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
