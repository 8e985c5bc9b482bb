using System.Text.Json;

namespace Tally.Ledger.Sqlite;

/// <summary>A call's tags as the JSON object the <c>tags</c> column holds, keys in ordinal order so equal tags store equal text.</summary>
internal static class TagsJson
{
    public static string? Write(IReadOnlyDictionary<string, string>? tags)
    {
        if (tags is null || tags.Count == 0)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (key, value) in tags.OrderBy(t => t.Key, StringComparer.Ordinal))
            {
                writer.WriteString(key, value);
            }

            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
