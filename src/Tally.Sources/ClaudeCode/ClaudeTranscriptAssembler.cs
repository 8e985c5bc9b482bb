using System.Runtime.CompilerServices;
using Tally.Ingest;
using Tally.Model;
using Tally.Projects;
using Tally.Sources.JsonLines;

namespace Tally.Sources.ClaudeCode;

/// <summary>
/// Turns the lines of one read into records: collapses a message's content-block rows into one
/// call, pairs tool requests with their results, finds which call read each result, and decides
/// where the next read must start. One instance serves one read of one file.
/// </summary>
/// <remarks>
/// <para><b>Calls.</b> Claude Code writes one row per content block of a response, every row
/// repeating the message's <c>usage</c>. Rows are keyed by <c>message.id</c> (also collapsing
/// <c>/btw</c> sidechain replays that reuse it under a new request id), else by the row's
/// <c>uuid</c>. Usage is taken whole from the most complete row (<see cref="LlmCall.Completion"/>)
/// and never summed.</para>
/// <para><b>Which call read a tool result.</b> The consumer is the next call down the
/// <c>parentUuid</c> chain from the result's row. The chain is followed through rows the reader
/// otherwise ignores by reading just their two ids, but only while some result is waiting, so a
/// transcript costs this only between a result and the call after it. When the chain is broken
/// (the parent row is in another file, say), the next call on the same lane (session, subagent,
/// sidechain) takes it, in file order; legacy sidechain rows with no agent id share one lane
/// between parallel subagents, so for them only the chain counts, and it is given up after
/// <see cref="MaxChainLines"/> lines.</para>
/// <para><b>Where the next read starts.</b> Past the last complete line, except: when the last line
/// read belongs to a call without a stop reason (still streaming), at that call's first row; and
/// when a tool result still has no reader and no call followed it on its lane, at that result's
/// row, so that the next read, which sees the following call, can name it. Lines from there on
/// are read again next time; the ledger's upsert makes that harmless, and problems on those lines
/// are reported only once they are behind the cursor. The cursor is held only while the file is
/// live (written to within <see cref="LiveWindow"/>): a session that ended there (killed
/// mid-response, quit after a tool ran, or written by Claude Code 1.x, which left every
/// <c>stop_reason</c> null) will never finish it, and holding would re-read and re-store its tail
/// on every run.</para>
/// </remarks>
internal sealed class ClaudeTranscriptAssembler : ILineSink
{
    /// <summary>How far (in lines) a broken chain is followed before a result's reader is given up as unknown.</summary>
    internal const int MaxChainLines = 2000;

    /// <summary>
    /// How recently a file must have been written for its unfinished tail to be worth waiting for.
    /// Claude Code writes the next row within seconds to minutes of a tool result (the model is
    /// called at once) and a response streams for minutes at most, so an hour is generous.
    /// </summary>
    internal static readonly TimeSpan LiveWindow = TimeSpan.FromHours(1);

    private const string Provider = "anthropic";

    // Claude Code's model name on the stand-in message it writes for a failed request.
    private static ReadOnlySpan<byte> SyntheticModel => "<synthetic>"u8;

    private readonly string _path;
    private readonly string _fallbackSessionId;
    private readonly string? _fileAgent;
    private readonly ProjectKeyResolver _projects;
    private readonly ClaudeRow _row = new();
    private readonly Utf8StringTable _strings = new();

    private readonly Dictionary<string, CallBuilder> _calls = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CallBuilder>.AlternateLookup<ReadOnlySpan<char>> _callLookup;
    private readonly List<CallBuilder> _callOrder = [];

    private readonly Dictionary<string, ToolBuilder> _tools = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ToolBuilder>.AlternateLookup<ReadOnlySpan<char>> _toolLookup;
    private readonly List<ToolBuilder> _toolOrder = [];

    // Rows (by uuid) whose descendants will read the tool results of a group.
    private readonly Dictionary<string, PendingResults> _chain = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PendingResults>.AlternateLookup<ReadOnlySpan<char>> _chainLookup;
    private readonly List<PendingResults> _pending = [];

    private readonly Dictionary<string, string?> _projectKeys = new(StringComparer.Ordinal);
    private readonly List<(long Offset, SkippedLine Line)> _skipped = [];

    private CallBuilder? _lastLineCall;
    private long _lastAmbiguousCallLine;

    public ClaudeTranscriptAssembler(string path, ProjectKeyResolver projects)
    {
        _path = path;
        _projects = projects;
        (_fallbackSessionId, _fileAgent) = IdentifyFile(path);
        _callLookup = _calls.GetAlternateLookup<ReadOnlySpan<char>>();
        _toolLookup = _tools.GetAlternateLookup<ReadOnlySpan<char>>();
        _chainLookup = _chain.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>
    /// The session and agent a file implies: <c>&lt;session&gt;.jsonl</c>, or for a subagent transcript
    /// <c>&lt;session&gt;/subagents/agent-&lt;id&gt;.jsonl</c>.
    /// </summary>
    internal static (string SessionId, string? Agent) IdentifyFile(string path)
    {
        var stem = Path.GetFileNameWithoutExtension(path);
        var directory = Path.GetDirectoryName(path);
        if (directory is not null && Path.GetFileName(directory) == "subagents"
            && Path.GetDirectoryName(directory) is { } sessionDirectory && Path.GetFileName(sessionDirectory) is { Length: > 0 } session)
        {
            return (session, stem.StartsWith("agent-", StringComparison.Ordinal) && stem.Length > "agent-".Length ? stem["agent-".Length..] : null);
        }

        return (stem, null);
    }

    /// <summary>Takes one complete line (without its <c>\n</c>).</summary>
    /// <param name="line">The line's bytes.</param>
    /// <param name="offset">Byte offset of the line's start in the file.</param>
    /// <param name="lineNumber">1-based line number.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void OnLine(ReadOnlySpan<byte> line, long offset, long lineNumber)
    {
        if (offset == 0 && line.StartsWith("\uFEFF"u8))
        {
            line = line[3..];
        }

        line = line.Trim(" \t\r"u8);
        if (line.IsEmpty)
        {
            return; // a blank line is neither a row nor a problem
        }

        if (line[0] != (byte)'{' || line[^1] != (byte)'}')
        {
            Skip(offset, lineNumber, "not a complete JSON object (truncated or garbled line)");
            return;
        }

        // Only rows that can carry usage or a tool result are worth a full parse. "tool_result" is
        // looked for first: it sits near the start of a user row, which is the bigger kind (its
        // toolUseResult repeats the output), while an assistant row is scanned to its usage anyway.
        var needsParse = line.IndexOf("\"tool_result\""u8) >= 0 || line.IndexOf("\"usage\""u8) >= 0;
        if (!needsParse)
        {
            _lastLineCall = null;
            if (IsFollowingChain(lineNumber))
            {
                if (ClaudeRowParser.ParseLink(line, _row) is { } linkError)
                {
                    Skip(offset, lineNumber, linkError);
                    return;
                }

                Forward(line);
            }

            return;
        }

        if (ClaudeRowParser.Parse(line, _row, needLinks: _pending.Count > 0) is { } error)
        {
            Skip(offset, lineNumber, error);
            return;
        }

        if (_row.Type == ClaudeRowType.Assistant && _row.HasUsage)
        {
            OnAssistantRow(line, offset, lineNumber);
        }
        else
        {
            _lastLineCall = null;
            if (_row.Type == ClaudeRowType.User && _row.ToolResults.Count > 0)
            {
                OnToolResultRow(line, offset, lineNumber);
            }
            else
            {
                Forward(line);
            }
        }
    }

    /// <summary>The records read, and the cursor for the next read.</summary>
    /// <param name="end">Where the read stopped: past the last complete line.</param>
    /// <param name="live">Whether the file may still grow (see <see cref="LiveWindow"/>), so an unfinished tail is worth reading again.</param>
    public FileReadResult Finish(ReadStart end, bool live)
    {
        var next = end;
        if (live && _lastLineCall is { StopReasonRaw: null } streaming)
        {
            next = Earlier(next, streaming.FirstOffset, streaming.FirstLine - 1);
        }

        foreach (var waiting in _pending)
        {
            if (live && (!waiting.Ambiguous || waiting.LineNumber > _lastAmbiguousCallLine))
            {
                next = Earlier(next, waiting.Offset, waiting.LineNumber - 1);
            }
        }

        var result = new FileReadResult { Next = next };
        foreach (var call in _callOrder)
        {
            result.Calls.Add(call.Build());
        }

        foreach (var tool in _toolOrder)
        {
            result.ToolResults.Add(tool.Build());
        }

        foreach (var (offset, skipped) in _skipped)
        {
            if (offset < next.Offset)
            {
                result.Skipped.Add(skipped);
            }
        }

        return result;
    }

    private static ReadStart Earlier(ReadStart current, long offset, long linesBefore) =>
        offset < current.Offset ? new ReadStart(offset, linesBefore, null) : current;

    private void Skip(long offset, long lineNumber, string reason)
    {
        _lastLineCall = null;
        _skipped.Add((offset, new SkippedLine(_path, lineNumber, reason)));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void OnAssistantRow(ReadOnlySpan<byte> line, long offset, long lineNumber)
    {
        var row = _row;
        var model = row.Bytes(line, row.Model);
        if (model.SequenceEqual(SyntheticModel))
        {
            // Nothing was billed for it.
            _lastLineCall = null;
            Forward(line);
            return;
        }

        var keyKind = KeyKind.MessageId;
        var key = row.Bytes(line, row.MessageId);
        if (key.IsEmpty)
        {
            keyKind = KeyKind.Derived;
            key = row.Bytes(line, row.Uuid);
            if (key.IsEmpty)
            {
                Skip(offset, lineNumber, "assistant row has neither message.id nor uuid");
                return;
            }
        }

        if (row.Timestamp is not { } timestamp)
        {
            Skip(offset, lineNumber, "assistant row has no valid timestamp");
            return;
        }

        if (!Utf8StringTable.TryGetValue(_callLookup, key, out var call))
        {
            if (model.IsEmpty)
            {
                Skip(offset, lineNumber, "assistant row has no message.model");
                return;
            }

            var project = row.Cwd.IsPresent && row.Cwd.Length > 0 ? _strings.Intern(row.Bytes(line, row.Cwd)) : null;
            call = new CallBuilder
            {
                Key = Utf8StringTable.Decode(key),
                KeyKind = keyKind,
                SessionId = SessionOf(line),
                Timestamp = timestamp.ToUniversalTime(),
                Model = _strings.Intern(model),
                Project = project,
                ProjectKey = ProjectKeyOf(project),
                Agent = AgentOf(line),
                FirstOffset = offset,
                FirstLine = lineNumber,
            };
            _calls[call.Key] = call;
            _callOrder.Add(call);
        }

        call.IsSidechain |= row.IsSidechain;
        if (call.RequestId is null && row.RequestId.Length > 0)
        {
            call.RequestId = Utf8StringTable.Decode(row.Bytes(line, row.RequestId));
        }

        var finished = row.StopReason.Length > 0;
        if (finished)
        {
            call.StopReasonRaw = _strings.Intern(row.Bytes(line, row.StopReason));
        }

        var usage = MapUsage(row);
        var completeness = LlmCall.Completion(finished, usage.Output ?? 0, usage.BilledTokens);
        if (completeness >= call.Completeness)
        {
            call.Usage = usage;
            call.Completeness = completeness;
        }

        if (row.CostUsd is { } cost)
        {
            call.ReportedCost = cost;
        }

        foreach (var block in row.ToolUses)
        {
            var tool = ToolFor(line, block.Id, call.SessionId);
            if (tool.CallKey is null) // a block seen again (a streamed snapshot) changes nothing
            {
                tool.CallKey = call.Key;
                tool.Name = block.Name.Length > 0 ? _strings.Intern(row.Bytes(line, block.Name)) : null;
                tool.Target = TargetOf(line, block, tool.Name);
                tool.Timestamp = timestamp.ToUniversalTime(); // the request's time, even if its result came first
            }
        }

        FindConsumedResults(line, call, lineNumber);
        _lastLineCall = call;
    }

    /// <summary>
    /// Maps Anthropic usage onto the disjoint buckets. Input excludes cache reads and writes
    /// already; thinking is inside output, so reasoning is not reported separately. Cache writes
    /// come from the 5m/1h split when there is one, except that a split of zeros next to a positive
    /// flat count (seen in real logs) means the flat count, taken as 5m, the API's default TTL.
    /// </summary>
    internal static TokenUsage MapUsage(ClaudeRow row)
    {
        long? write5m;
        long? write1h;
        if (row.HasCacheCreationSplit)
        {
            write5m = row.CacheCreation5m;
            write1h = row.CacheCreation1h;
            if ((write5m ?? 0) == 0 && (write1h ?? 0) == 0 && row.CacheCreationTokens is > 0)
            {
                write5m = row.CacheCreationTokens;
            }
        }
        else
        {
            write5m = row.CacheCreationTokens;
            write1h = null;
        }

        return new TokenUsage(row.InputTokens, row.CacheReadTokens, write5m, write1h, row.OutputTokens, Reasoning: null);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void OnToolResultRow(ReadOnlySpan<byte> line, long offset, long lineNumber)
    {
        var row = _row;
        var sessionId = SessionOf(line);
        var agent = AgentOf(line);
        var timestamp = row.Timestamp?.ToUniversalTime();

        // A result row continuing a chain that already waits (parallel tool results are written one
        // row each) joins that group: the same next call reads them all.
        PendingResults? group = null;
        if (row.ParentUuid.Length > 0
            && Utf8StringTable.TryGetValue(_chainLookup, row.Bytes(line, row.ParentUuid), out var parentGroup)
            && !parentGroup.Consumed)
        {
            group = parentGroup;
        }

        foreach (var block in row.ToolResults)
        {
            var tool = ToolFor(line, block.ToolUseId, sessionId);
            tool.OutputBytes = block.OutputBytes;
            tool.Truncated = block.Truncated;
            tool.IsError = block.IsError;
            tool.Timestamp ??= timestamp;
            if (tool.ConsumerCallKey is null)
            {
                // A result seen again (a replay) whose reader is already known waits for nothing.
                group ??= NewGroup(sessionId, agent, row.IsSidechain, offset, lineNumber);
                group.Tools.Add(tool);
            }
        }

        if (group is not null && row.Uuid.Length > 0)
        {
            _chain[Utf8StringTable.Decode(row.Bytes(line, row.Uuid))] = group;
        }
        else if (group is null)
        {
            Forward(line);
        }
    }

    private PendingResults NewGroup(string sessionId, string? agent, bool isSidechain, long offset, long lineNumber)
    {
        var group = new PendingResults
        {
            SessionId = sessionId,
            Agent = agent,
            IsSidechain = isSidechain,
            Offset = offset,
            LineNumber = lineNumber,
        };
        _pending.Add(group);
        return group;
    }

    // A row that is neither a call nor a result passes its parent's waiting results on to its children.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Forward(ReadOnlySpan<byte> line)
    {
        var row = _row;
        if (_pending.Count == 0 || row.ParentUuid.Length == 0 || row.Uuid.Length == 0)
        {
            return;
        }

        if (Utf8StringTable.TryGetValue(_chainLookup, row.Bytes(line, row.ParentUuid), out var group) && !group.Consumed)
        {
            _chain[Utf8StringTable.Decode(row.Bytes(line, row.Uuid))] = group;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void FindConsumedResults(ReadOnlySpan<byte> line, CallBuilder call, long lineNumber)
    {
        var row = _row;
        var ambiguous = row.IsSidechain && call.Agent is null;
        if (ambiguous)
        {
            _lastAmbiguousCallLine = lineNumber;
        }

        if (_pending.Count == 0)
        {
            return;
        }

        if (row.ParentUuid.Length > 0
            && Utf8StringTable.TryGetValue(_chainLookup, row.Bytes(line, row.ParentUuid), out var group)
            && !group.Consumed)
        {
            if (group.RequestedBy(call.Key))
            {
                // A later block row of the very message that asked for the tool (results can be
                // written before the message's last block): the reader is still to come.
                if (row.Uuid.Length > 0)
                {
                    _chain[Utf8StringTable.Decode(row.Bytes(line, row.Uuid))] = group;
                }
            }
            else
            {
                Consume(group, call.Key);
            }
        }

        if (ambiguous)
        {
            return;
        }

        // The chain did not lead here (or not from every waiting result): earlier results on this
        // call's lane were read by this call, in file order.
        for (var i = _pending.Count - 1; i >= 0; i--)
        {
            var waiting = _pending[i];
            if (!waiting.Consumed && waiting.LineNumber < lineNumber && !waiting.Ambiguous
                && waiting.IsSidechain == row.IsSidechain
                && string.Equals(waiting.Agent, call.Agent, StringComparison.Ordinal)
                && string.Equals(waiting.SessionId, call.SessionId, StringComparison.Ordinal)
                && !waiting.RequestedBy(call.Key))
            {
                Consume(waiting, call.Key);
            }
        }
    }

    private void Consume(PendingResults group, string consumer)
    {
        group.Consumed = true;
        foreach (var tool in group.Tools)
        {
            tool.ConsumerCallKey ??= consumer;
        }

        _pending.Remove(group);
        if (_pending.Count == 0)
        {
            _chain.Clear(); // nothing waits, so no chain needs following
        }
    }

    // Following a chain through otherwise ignored rows costs a parse of each, so it stops once the
    // only waiting results are legacy-sidechain ones too old to expect their reader.
    private bool IsFollowingChain(long lineNumber)
    {
        if (_pending.Count == 0)
        {
            return false;
        }

        var following = false;
        for (var i = _pending.Count - 1; i >= 0; i--)
        {
            var waiting = _pending[i];
            if (lineNumber - waiting.LineNumber <= MaxChainLines)
            {
                following = true;
            }
            else if (waiting.Ambiguous)
            {
                _pending.RemoveAt(i); // given up: its reader stays unknown
            }
        }

        return following;
    }

    private ToolBuilder ToolFor(ReadOnlySpan<byte> line, Utf8Slice idSlice, string sessionId)
    {
        var id = _row.Bytes(line, idSlice);
        if (!Utf8StringTable.TryGetValue(_toolLookup, id, out var tool))
        {
            tool = new ToolBuilder { ToolUseId = Utf8StringTable.Decode(id), SessionId = sessionId };
            _tools[tool.ToolUseId] = tool;
            _toolOrder.Add(tool);
        }

        return tool;
    }

    private string SessionOf(ReadOnlySpan<byte> line) =>
        _row.SessionId.Length > 0 ? _strings.Intern(_row.Bytes(line, _row.SessionId)) : _fallbackSessionId;

    private string? AgentOf(ReadOnlySpan<byte> line) =>
        _row.AgentId.Length > 0 ? _strings.Intern(_row.Bytes(line, _row.AgentId)) : _fileAgent;

    private string? ProjectKeyOf(string? project)
    {
        if (project is null)
        {
            return null;
        }

        if (!_projectKeys.TryGetValue(project, out var key))
        {
            key = _projects.Resolve(project);
            _projectKeys[project] = key;
        }

        return key;
    }

    /// <summary>What a tool acted on, by tool: the file, command, pattern, URL, query or subagent type.</summary>
    private string? TargetOf(ReadOnlySpan<byte> line, in ClaudeToolUseBlock block, string? name)
    {
        var specific = name switch
        {
            "Read" or "Edit" or "Write" or "MultiEdit" => block.FilePath,
            "NotebookEdit" => block.NotebookPath,
            "Bash" => block.Command,
            "Grep" or "Glob" => block.Pattern,
            "WebFetch" => block.Url,
            "WebSearch" => block.Query,
            "Task" or "Agent" => block.SubagentType.Length > 0 ? block.SubagentType : block.Description,
            _ => Utf8Slice.None,
        };

        foreach (var slice in (ReadOnlySpan<Utf8Slice>)[specific, block.FilePath, block.Path, block.Url, block.Command])
        {
            if (slice.Length > 0)
            {
                return Utf8StringTable.Decode(_row.Bytes(line, slice));
            }
        }

        return null;
    }

    private sealed class CallBuilder
    {
        public required string Key { get; init; }
        public KeyKind KeyKind { get; init; }
        public required string SessionId { get; init; }
        public DateTimeOffset Timestamp { get; init; }
        public required string Model { get; init; }
        public string? Project { get; init; }
        public string? ProjectKey { get; init; }
        public string? Agent { get; init; }
        public long FirstOffset { get; init; }
        public long FirstLine { get; init; }
        public bool IsSidechain { get; set; }
        public string? RequestId { get; set; }
        public string? StopReasonRaw { get; set; }
        public TokenUsage Usage { get; set; }
        public long Completeness { get; set; } = -1;
        public decimal? ReportedCost { get; set; }

        public LlmCall Build() => new()
        {
            Source = SourceNames.ClaudeCode,
            CallKey = Key,
            KeyKind = KeyKind,
            SessionId = SessionId,
            Timestamp = Timestamp,
            Model = Model,
            Provider = Provider,
            Usage = Usage,
            StopReason = StopReasons.Parse(StopReasonRaw),
            StopReasonRaw = StopReasonRaw,
            Project = Project,
            ProjectKey = ProjectKey,
            RequestId = RequestId,
            Agent = Agent,
            IsSidechain = IsSidechain,
            ReportedCost = ReportedCost,
        };
    }

    private sealed class ToolBuilder
    {
        public required string ToolUseId { get; init; }
        public required string SessionId { get; init; }
        public string? CallKey { get; set; }
        public string? Name { get; set; }
        public string? Target { get; set; }
        public DateTimeOffset? Timestamp { get; set; }
        public long? OutputBytes { get; set; }
        public bool? Truncated { get; set; }
        public bool? IsError { get; set; }
        public string? ConsumerCallKey { get; set; }

        public ToolResult Build() => new()
        {
            Source = SourceNames.ClaudeCode,
            ToolUseId = ToolUseId,
            SessionId = SessionId,
            CallKey = CallKey,
            Name = Name,
            Target = Target,
            Timestamp = Timestamp,
            OutputBytes = OutputBytes,
            Truncated = Truncated,
            IsError = IsError,
            ConsumerCallKey = ConsumerCallKey,
        };
    }

    /// <summary>Tool results written together and waiting for the call that reads them.</summary>
    private sealed class PendingResults
    {
        public required string SessionId { get; init; }
        public string? Agent { get; init; }
        public bool IsSidechain { get; init; }
        public long Offset { get; init; }
        public long LineNumber { get; init; }
        public List<ToolBuilder> Tools { get; } = [];
        public bool Consumed { get; set; }

        /// <summary>Legacy sidechain rows carry no agent id, so parallel subagents' lanes cannot be told apart.</summary>
        public bool Ambiguous => IsSidechain && Agent is null;

        public bool RequestedBy(string callKey)
        {
            foreach (var tool in Tools)
            {
                if (tool.CallKey == callKey)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
