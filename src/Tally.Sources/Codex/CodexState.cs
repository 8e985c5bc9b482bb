using System.Buffers;
using System.Text.Json;

namespace Tally.Sources.Codex;

/// <summary>
/// What a read of a rollout must know about the bytes before its start offset, persisted by the
/// orchestrator as <see cref="Ingest.ReadStart.State"/> (compact JSON written and read by hand so
/// that no reflection is needed under Native AOT).
/// </summary>
internal sealed class CodexState
{
    private const int Version = 1;

    /// <summary>The cumulative totals of the last token_count with usage; null before the first.</summary>
    public CodexCounts? Baseline;

    /// <summary>The model of the latest turn_context.</summary>
    public string? Model;

    /// <summary>The file's own session (its first session_meta).</summary>
    public string? SessionId;

    /// <summary>The id of the latest session_meta (a fork copies its parent's).</summary>
    public string? MetaSessionId;

    /// <summary>The working directory of the file's own session_meta.</summary>
    public string? Cwd;

    /// <summary>The working directory of the latest turn_context.</summary>
    public string? TurnCwd;

    /// <summary>Whether the file is a fork or spawned thread that starts by replaying another session's history.</summary>
    public bool Derived;

    /// <summary>Whether the replayed burst at the start of a derived file is over.</summary>
    public bool ReplayOver;

    /// <summary>The timestamp of the file's first line.</summary>
    public DateTimeOffset? Start;

    /// <summary>The latest timestamp seen in the replay burst at or after <see cref="Start"/>.</summary>
    public DateTimeOffset? BurstLast;

    /// <summary>Tool calls requested since the last call: the next call is the one that requested them.</summary>
    public List<string> PendingRequests { get; } = [];

    /// <summary>Tool outputs seen since the last call: the next call reads them.</summary>
    public List<string> PendingOutputs { get; } = [];

    public string Serialize()
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("v", Version);
            if (Baseline is { } b)
            {
                writer.WriteStartArray("b");
                WriteCount(writer, b.Input);
                WriteCount(writer, b.Cached);
                WriteCount(writer, b.Output);
                WriteCount(writer, b.Reasoning);
                writer.WriteEndArray();
            }

            WriteString(writer, "m", Model);
            WriteString(writer, "s", SessionId);
            WriteString(writer, "ms", MetaSessionId);
            WriteString(writer, "cwd", Cwd);
            WriteString(writer, "tcwd", TurnCwd);
            if (Derived)
            {
                writer.WriteBoolean("d", true);
            }

            if (ReplayOver)
            {
                writer.WriteBoolean("ro", true);
            }

            if (Start is { } start)
            {
                writer.WriteString("st", start);
            }

            if (BurstLast is { } last)
            {
                writer.WriteString("bl", last);
            }

            WriteList(writer, "pr", PendingRequests);
            WriteList(writer, "po", PendingOutputs);
            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Reads a saved state; null when it is missing, of another version or unreadable.</summary>
    public static CodexState? TryParse(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("v", out var version) || version.ValueKind != JsonValueKind.Number || version.GetInt32() != Version)
            {
                return null;
            }

            var state = new CodexState
            {
                Model = GetString(root, "m"),
                SessionId = GetString(root, "s"),
                MetaSessionId = GetString(root, "ms"),
                Cwd = GetString(root, "cwd"),
                TurnCwd = GetString(root, "tcwd"),
                Derived = root.TryGetProperty("d", out var d) && d.ValueKind == JsonValueKind.True,
                ReplayOver = root.TryGetProperty("ro", out var ro) && ro.ValueKind == JsonValueKind.True,
                Start = root.TryGetProperty("st", out var st) && st.ValueKind == JsonValueKind.String ? st.GetDateTimeOffset() : null,
                BurstLast = root.TryGetProperty("bl", out var bl) && bl.ValueKind == JsonValueKind.String ? bl.GetDateTimeOffset() : null,
            };
            if (root.TryGetProperty("b", out var b) && b.ValueKind == JsonValueKind.Array && b.GetArrayLength() == 4)
            {
                state.Baseline = new CodexCounts(GetCount(b[0]), GetCount(b[1]), GetCount(b[2]), GetCount(b[3]));
            }

            ReadList(root, "pr", state.PendingRequests);
            ReadList(root, "po", state.PendingOutputs);
            return state;
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            return null;
        }
    }

    private static void WriteCount(Utf8JsonWriter writer, long? value)
    {
        if (value is { } v)
        {
            writer.WriteNumberValue(v);
        }
        else
        {
            writer.WriteNullValue();
        }
    }

    private static void WriteString(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }

    private static void WriteList(Utf8JsonWriter writer, string name, List<string> values)
    {
        if (values.Count == 0)
        {
            return;
        }

        writer.WriteStartArray(name);
        foreach (var value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }

    private static string? GetString(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static long? GetCount(JsonElement value) => value.ValueKind == JsonValueKind.Number ? value.GetInt64() : null;

    private static void ReadList(JsonElement root, string name, List<string> into)
    {
        if (root.TryGetProperty(name, out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in list.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.String && item.GetString() is { } id)
                {
                    into.Add(id);
                }
            }
        }
    }
}
