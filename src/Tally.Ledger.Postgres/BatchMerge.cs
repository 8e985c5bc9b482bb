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
            merged[key] = merged.TryGetValue(key, out var stored) ? RecordMerge.Merge(stored, call) : call;
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
            merged[key] = merged.TryGetValue(key, out var stored) ? RecordMerge.Merge(stored, result) : result;
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
