using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Tally.Ingest;
using Tally.Model;
using Tally.Projects;
using Tally.Sources.JsonLines;

namespace Tally.Sources.Gemini;

/// <summary>
/// Reads Gemini CLI chat records: a <c>.json</c> file whole (it is rewritten in place), a
/// <c>.jsonl</c> file from a byte offset to its last complete line in pooled chunks.
/// </summary>
internal static class GeminiChatReader
{
    internal const int ChunkSize = JsonLinesReader.ChunkSize;
    private const string StateVersion = "gemini1";

    public static FileReadResult Read(LogFile file, ReadStart start, ProjectKeyResolver projects, int chunkSize = ChunkSize)
    {
        var project = ProjectRoot(file.Path);
        var projectKey = projects.Resolve(project);
        if (!file.Path.EndsWith(".jsonl", StringComparison.Ordinal))
        {
            return ReadWhole(file, project, projectKey);
        }

        var state = start.Offset > 0 ? TryParseState(start.State) : null;
        if (state is null)
        {
            state = new ChatState(null, false, []);
            start = ReadStart.Beginning;
        }

        var assembler = new GeminiChatAssembler(file, project, projectKey, state);
        {
            var end = JsonLinesReader.Read(file.Path, start, assembler, chunkSize: chunkSize);
            var collected = new FileReadResult { Next = end };
            assembler.Finish(collected);
            var result = new FileReadResult { Next = end with { State = FormatState(assembler.State) } };
            result.Calls.AddRange(collected.Calls);
            result.ToolResults.AddRange(collected.ToolResults);
            result.Skipped.AddRange(collected.Skipped);
            return result;
        }
    }

    private static FileReadResult ReadWhole(LogFile file, string? project, string? projectKey)
    {
        var bytes = File.ReadAllBytes(file.Path);
        var result = new FileReadResult { Next = new ReadStart(bytes.Length, 1, null) };
        var assembler = new GeminiChatAssembler(file, project, projectKey, new ChatState(null, false, []));
        try
        {
            using var document = JsonDocument.Parse(bytes);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                result.Skipped.Add(new SkippedLine(file.Path, 1, "not a Gemini chat record"));
                return result;
            }

            if (root.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
            {
                assembler.OnMetadata(root);
                foreach (var message in messages.EnumerateArray())
                {
                    assembler.OnMessage(message, 1, result);
                }
            }
            else if (GeminiRecords.TypeOf(root) is not null)
            {
                assembler.OnMessage(root, 1, result);
            }
            else
            {
                result.Skipped.Add(new SkippedLine(file.Path, 1, "not a Gemini chat record"));
                return result;
            }
        }
        catch (JsonException)
        {
            result.Skipped.Add(new SkippedLine(file.Path, 1, "not valid JSON"));
            return result;
        }

        assembler.Finish(result);
        return result;
    }

    /// <summary>The project root from <c>.project_root</c> beside the <c>chats</c> folder (newer Gemini CLI), or null.</summary>
    internal static string? ProjectRoot(string path)
    {
        if (GeminiDiscovery.ChatsFolder(path) is not { } chats || Path.GetDirectoryName(chats) is not { } projectDirectory)
        {
            return null;
        }

        try
        {
            var marker = Path.Combine(projectDirectory, GeminiDiscovery.ProjectRootFile);
            if (!File.Exists(marker))
            {
                return null;
            }

            var text = File.ReadAllText(marker).Trim();
            return text.Length == 0 ? null : text;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    internal static string FormatState(ChatState state)
    {
        var text = new StringBuilder(StateVersion).Append('\n')
            .Append(state.SessionId ?? string.Empty).Append('\n')
            .Append(state.Subagent ? '1' : '0');
        foreach (var (id, at) in state.PendingTools)
        {
            text.Append('\n').Append(at?.UtcTicks.ToString(CultureInfo.InvariantCulture) ?? "-").Append('\t').Append(id);
        }

        return text.ToString();
    }

    internal static ChatState? TryParseState(string? state)
    {
        if (state is null)
        {
            return null;
        }

        var lines = state.Split('\n');
        if (lines.Length < 3 || lines[0] != StateVersion || lines[2] is not ("0" or "1"))
        {
            return null;
        }

        var pending = new List<(string, DateTimeOffset?)>();
        for (var i = 3; i < lines.Length; i++)
        {
            var tab = lines[i].IndexOf('\t', StringComparison.Ordinal);
            if (tab <= 0)
            {
                return null;
            }

            var ticks = lines[i][..tab];
            DateTimeOffset? at = null;
            if (ticks != "-")
            {
                if (!long.TryParse(ticks, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
                {
                    return null;
                }

                at = new DateTimeOffset(value, TimeSpan.Zero);
            }

            pending.Add((lines[i][(tab + 1)..], at));
        }

        return new ChatState(lines[1].Length == 0 ? null : lines[1], lines[2] == "1", pending);
    }
}

/// <summary>What a JSONL read carries to the next: the session, whether it is a subagent's, and tools whose consumer is not yet seen.</summary>
internal sealed record ChatState(string? SessionId, bool Subagent, List<(string Id, DateTimeOffset? At)> PendingTools);

/// <summary>
/// Collects one read's messages (a re-appended message replaces its earlier copy) and turns them
/// into calls and tool results.
/// </summary>
internal sealed class GeminiChatAssembler : ILineSink
{
    private readonly LogFile _file;
    private readonly string? _project;
    private readonly string? _projectKey;
    private readonly List<(GeminiMessage Message, long Line)> _messages = [];
    private readonly Dictionary<string, int> _byId = new(StringComparer.Ordinal);
    private string? _sessionId;
    private bool _subagent;
    private readonly List<(string Id, DateTimeOffset? At)> _pending;

    public GeminiChatAssembler(LogFile file, string? project, string? projectKey, ChatState state)
    {
        _file = file;
        _project = project;
        _projectKey = projectKey;
        _sessionId = state.SessionId;
        _subagent = state.Subagent || GeminiDiscovery.IsNestedInChats(file.Path);
        _pending = [.. state.PendingTools];
    }

    public ChatState State => new(_sessionId, _subagent, _pending);

    private string SessionId => _sessionId ?? Path.GetFileNameWithoutExtension(_file.Path);

    /// <summary>Takes <c>sessionId</c> and <c>kind</c> from a metadata object (first line, <c>$set</c>, or a whole-file root).</summary>
    public void OnMetadata(JsonElement metadata)
    {
        if (GeminiRecords.String(metadata, "sessionId") is { Length: > 0 } id)
        {
            _sessionId = id;
        }

        if (GeminiRecords.String(metadata, "kind") is { } kind)
        {
            _subagent = kind == "subagent" || GeminiDiscovery.IsNestedInChats(_file.Path);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void OnLine(ReadOnlySpan<byte> line, long offset, long lineNumber)
    {
        if (line.Length > 0 && line[^1] == (byte)'\r')
        {
            line = line[..^1];
        }

        if (line.Trim((byte)' ').IsEmpty)
        {
            return;
        }

        var result = _lineSkips;
        try
        {
            var reader = new Utf8JsonReader(line);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                result.Add(new SkippedLine(_file.Path, lineNumber, "not a JSON object"));
                return;
            }

            if (root.TryGetProperty("$rewindTo", out _))
            {
                // Rewound messages were still billed: their calls stay.
                return;
            }

            if (root.TryGetProperty("$set", out var set))
            {
                if (set.ValueKind == JsonValueKind.Object)
                {
                    OnMetadata(set);
                    if (set.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
                    {
                        foreach (var message in messages.EnumerateArray())
                        {
                            OnMessageCore(message, lineNumber, result);
                        }
                    }
                }

                return;
            }

            if (root.TryGetProperty("type", out _))
            {
                OnMessageCore(root, lineNumber, result);
            }
            else if (GeminiRecords.String(root, "sessionId") is not null)
            {
                OnMetadata(root);
            }
        }
        catch (JsonException)
        {
            result.Add(new SkippedLine(_file.Path, lineNumber, "not valid JSON"));
        }
    }

    private readonly List<SkippedLine> _lineSkips = [];

    public void OnMessage(JsonElement message, long line, FileReadResult result) => OnMessageCore(message, line, result.Skipped);

    private void OnMessageCore(JsonElement message, long line, List<SkippedLine> skipped)
    {
        if (GeminiRecords.TypeOf(message) != "gemini")
        {
            return;
        }

        GeminiMessage parsed;
        try
        {
            parsed = GeminiRecords.ParseMessage(message);
        }
        catch (GeminiMalformedException e)
        {
            skipped.Add(new SkippedLine(_file.Path, line, e.Message));
            return;
        }

        if (parsed.Id is { } id && _byId.TryGetValue(id, out var index))
        {
            _messages[index] = (parsed, line);
            return;
        }

        if (parsed.Id is { } newId)
        {
            _byId[newId] = _messages.Count;
        }

        _messages.Add((parsed, line));
    }

    public void Finish(FileReadResult result)
    {
        result.Skipped.AddRange(_lineSkips);
        var sessionId = SessionId;
        foreach (var (message, line) in _messages)
        {
            string? callKey = null;
            var timestamp = message.Timestamp;
            if (message.Tokens is { } tokens && tokens.HasParts && !tokens.IsAllZero)
            {
                if (timestamp is null)
                {
                    result.Skipped.Add(new SkippedLine(_file.Path, line, "response has tokens but no timestamp"));
                    continue;
                }

                var keyKind = message.Id is null ? KeyKind.Derived : KeyKind.Recorded;
                callKey = message.Id ?? $"{sessionId}@{message.TimestampRaw}#{tokens.KeyFragment()}";
                result.Calls.Add(new LlmCall
                {
                    Source = SourceNames.Gemini,
                    CallKey = callKey,
                    KeyKind = keyKind,
                    SessionId = sessionId,
                    Timestamp = timestamp.Value,
                    Model = message.Model ?? "unknown",
                    Provider = "google",
                    Usage = tokens.ToUsage(),
                    StopReason = StopReasons.Parse(message.FinishReason),
                    StopReasonRaw = message.FinishReason,
                    Project = _project,
                    ProjectKey = _projectKey,
                    IsSidechain = _subagent,
                    ParentSessionId = _subagent ? GeminiDiscovery.ParentSessionOf(_file.Path) : null,
                });

                // This call read the results of tools asked for by earlier responses.
                for (var i = _pending.Count - 1; i >= 0; i--)
                {
                    var (toolId, at) = _pending[i];
                    if (at is null || at < timestamp)
                    {
                        result.ToolResults.Add(new ToolResult { Source = SourceNames.Gemini, ToolUseId = toolId, SessionId = sessionId, ConsumerCallKey = callKey });
                        _pending.RemoveAt(i);
                    }
                }
            }

            foreach (var tool in message.ToolCalls)
            {
                result.ToolResults.Add(new ToolResult
                {
                    Source = SourceNames.Gemini,
                    ToolUseId = tool.Id,
                    SessionId = sessionId,
                    CallKey = callKey,
                    Name = tool.Name,
                    Target = tool.Target,
                    Timestamp = tool.Timestamp ?? timestamp,
                    OutputBytes = tool.OutputBytes,
                    IsError = tool.IsError,
                });
                if (!_pending.Exists(p => p.Id == tool.Id))
                {
                    _pending.Add((tool.Id, timestamp));
                }
            }
        }
    }
}
