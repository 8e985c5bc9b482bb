using System.Text;
using System.Text.Json;

namespace Tally.Ledger;

/// <summary>
/// A call's tags as ledgers store them: one flat JSON object of strings, keys in ordinal order so
/// that equal tags store equal text. Both ledgers write and read the <c>tags</c> column with it.
/// </summary>
public static class TagsJson
{
    /// <summary>The JSON object for <paramref name="tags"/>, or null when there are none.</summary>
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

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>Reads what <see cref="Write"/> wrote.</summary>
    /// <exception cref="JsonException">The text is not a flat JSON object of strings.</exception>
    public static Dictionary<string, string> Read(ReadOnlySpan<byte> json)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        var reader = new Utf8JsonReader(json);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var key = reader.GetString()!;
            reader.Read();
            tags[key] = reader.GetString() ?? "";
        }

        return tags;
    }
}
