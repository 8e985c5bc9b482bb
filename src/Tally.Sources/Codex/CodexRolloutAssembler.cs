using System.Globalization;
using System.Runtime.CompilerServices;
using Tally.Ingest;
using Tally.Model;
using Tally.Projects;
using Tally.Sources.JsonLines;

namespace Tally.Sources.Codex;

/// <summary>
/// Turns a rollout's lines, in order, into calls and tool results.
/// </summary>
/// <remarks>
/// <para><b>Calls.</b> Each <c>token_count</c> whose cumulative <c>total_token_usage</c> moved since
/// the previous one in the file is one billed call. Unchanged totals (Codex re-emits them on UI and
/// rate-limit refreshes) and <c>info: null</c> are not calls. Totals that go down restart the
/// baseline. Usage is <c>last_token_usage</c> when present (Codex copies it verbatim into forks, so a
/// replay gives the same usage), else the difference of the totals.</para>
/// <para><b>Identity.</b> <c>&lt;timestamp&gt;|&lt;input&gt;|&lt;cached&gt;|&lt;output&gt;|&lt;reasoning&gt;</c> of
/// the cumulative totals: a line copied with its timestamp into another file gets the same key.</para>
/// <para><b>Forks.</b> A forked or spawned-thread rollout (its session_meta names a parent, or a
/// second session_meta with another id is copied in) starts by re-writing the parent's history,
/// and current Codex builds stamp the copies with the time of the copy. Such a file's token_counts
/// in that opening burst (lines no more than <see cref="BurstGap"/> apart from the first line on)
/// only advance the baseline; copies that kept their original, earlier timestamp are emitted, since
/// their keys equal the parent's. Tool lines in the burst are the parent's and are left to it.</para>
/// </remarks>
internal sealed class CodexRolloutAssembler : ILineSink
{
    /// <summary>The largest gap between consecutive lines of a fork's replayed burst.</summary>
    internal static readonly TimeSpan BurstGap = TimeSpan.FromSeconds(1);

    internal const string Provider = "openai";
    internal const string UnknownModel = "unknown";
    internal const string UnknownSession = "unknown";

    private readonly string _path;
    private readonly ProjectKeyResolver _projects;
    private readonly CodexState _state;
    private readonly string? _fileSessionId;
    private readonly CodexLine _line = new();
    private readonly List<LlmCall> _calls = [];
    private readonly List<SkippedLine> _skipped = [];
    private readonly Dictionary<string, ToolBuilder> _tools = new(StringComparer.Ordinal);
    private readonly List<ToolBuilder> _toolOrder = [];
    private string? _project;
    private string? _projectKey;
    private bool _projectResolved;

    public CodexRolloutAssembler(string path, ProjectKeyResolver projects, CodexState state)
    {
        _path = path;
        _projects = projects;
        _state = state;
        _fileSessionId = SessionIdFromFileName(path);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void OnLine(ReadOnlySpan<byte> line, long offset, long lineNumber)
    {
        line = line.Trim(" \t\r"u8);
        if (line.IsEmpty)
        {
            return;
        }

        if (line[0] != (byte)'{' || line[^1] != (byte)'}')
        {
            Skip(lineNumber, "not a complete JSON object (truncated or garbled line)");
            return;
        }

        if (CodexLineParser.Parse(line, _line) is { } error)
        {
            Skip(lineNumber, error);
            return;
        }

        var row = _line;
        var time = row.Time;
        if (time is { } t)
        {
            TrackBurst(t);
        }

        switch (row.Type)
        {
            case CodexLineType.SessionMeta:
                OnSessionMeta(row);
                break;
            case CodexLineType.TurnContext:
                _state.Model = row.Model ?? _state.Model;
                _state.TurnCwd = row.Cwd ?? _state.TurnCwd;
                break;
            case CodexLineType.ResponseItem:
                OnResponseItem(row, time);
                break;
            case CodexLineType.EventMsg:
                OnEvent(row, time, lineNumber);
                break;
        }
    }

    /// <summary>The records read, and <paramref name="next"/> with the state to resume from.</summary>
    public FileReadResult Finish(ReadStart next)
    {
        var result = new FileReadResult { Next = next with { State = _state.Serialize() } };
        result.Calls.AddRange(_calls);
        result.Skipped.AddRange(_skipped);
        var sessionId = _state.SessionId ?? _fileSessionId ?? UnknownSession;
        foreach (var tool in _toolOrder)
        {
            result.ToolResults.Add(tool.Build(sessionId));
        }

        return result;
    }

    private bool InReplay => _state.Derived && !_state.ReplayOver;

    private void TrackBurst(DateTimeOffset time)
    {
        if (_state.Start is not { } start)
        {
            _state.Start = time;
            _state.BurstLast = time;
            return;
        }

        if (_state.ReplayOver || time < start)
        {
            return; // a copy that kept its original time says nothing about the burst
        }

        var last = _state.BurstLast ?? start;
        if (time - last > BurstGap)
        {
            _state.ReplayOver = true;
        }
        else if (time > last)
        {
            _state.BurstLast = time;
        }
    }

    private void OnSessionMeta(CodexLine row)
    {
        if (row.Id is { Length: > 0 } id)
        {
            if (_state.SessionId is null)
            {
                _state.SessionId = id;
                _state.Cwd ??= row.Cwd;
            }
            else if (id != _state.SessionId && !_state.ReplayOver)
            {
                _state.Derived = true; // another session's meta copied in: this file replays it
            }

            _state.MetaSessionId = id;
        }
        else if (_state.SessionId is null)
        {
            _state.Cwd ??= row.Cwd;
        }

        if (row.ForkMarker && !_state.ReplayOver)
        {
            _state.Derived = true;
        }
    }

    private void OnResponseItem(CodexLine row, DateTimeOffset? time)
    {
        if (row.CallId is not { Length: > 0 } callId || InReplay)
        {
            return;
        }

        switch (row.PayloadType)
        {
            case CodexPayloadType.FunctionCall:
            case CodexPayloadType.CustomToolCall:
            case CodexPayloadType.LocalShellCall:
            {
                var tool = Tool(callId);
                tool.Name ??= row.Name ?? (row.PayloadType == CodexPayloadType.LocalShellCall ? "local_shell" : null);
                tool.Target ??= CodexToolTargets.Target(row.Name, row.Arguments, row.Input);
                tool.RequestTime ??= time;
                AddPending(_state.PendingRequests, callId);
                break;
            }

            case CodexPayloadType.FunctionCallOutput:
            case CodexPayloadType.CustomToolCallOutput:
            {
                if (!row.HasOutput)
                {
                    return;
                }

                var tool = Tool(callId);
                tool.ResultTime ??= time;
                tool.OutputBytes = row.OutputBytes;
                tool.Truncated = row.OutputTruncated;
                tool.MergeError(row.OutputError);
                AddPending(_state.PendingOutputs, callId);
                break;
            }
        }
    }

    private void OnEvent(CodexLine row, DateTimeOffset? time, long lineNumber)
    {
        switch (row.PayloadType)
        {
            case CodexPayloadType.TokenCount:
                OnTokenCount(row, time, lineNumber);
                break;
            case CodexPayloadType.ExecCommandEnd when row.CallId is { Length: > 0 } callId && !InReplay:
                if (row.ExitCode is { } code)
                {
                    Tool(callId).MergeError(code != 0);
                }

                break;
            case CodexPayloadType.PatchApplyEnd when row.CallId is { Length: > 0 } callId && !InReplay:
                if (row.Success is { } success)
                {
                    Tool(callId).MergeError(!success);
                }

                break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void OnTokenCount(CodexLine row, DateTimeOffset? time, long lineNumber)
    {
        if (!row.HasInfo)
        {
            return; // info: null (the session's first event) or no info at all: nothing was billed
        }

        if (row.Total is not { } total)
        {
            Skip(lineNumber, "token_count info has no total_token_usage");
            return;
        }

        CodexCounts delta;
        bool isCall;
        if (_state.Baseline is not { } baseline)
        {
            isCall = total.AnyPositive;
            delta = total;
        }
        else if (total == baseline)
        {
            return; // a re-emit: the cumulative total did not move
        }
        else if (total.AnyBelow(baseline))
        {
            isCall = total.AnyPositive; // the counter restarted: count from zero, never negative
            delta = total;
        }
        else
        {
            isCall = true;
            delta = total.Minus(baseline);
        }

        _state.Baseline = total;
        if (!isCall)
        {
            return;
        }

        if (time is not { } timestamp)
        {
            Skip(lineNumber, "token_count has no valid timestamp");
            return;
        }

        string sessionId;
        if (InReplay)
        {
            if (timestamp >= _state.Start)
            {
                return; // a copy re-stamped at fork time: the parent's file holds the call
            }

            sessionId = _state.MetaSessionId ?? _state.SessionId ?? _fileSessionId ?? UnknownSession;
        }
        else
        {
            sessionId = _state.SessionId ?? _fileSessionId ?? UnknownSession;
        }

        var key = CallKey(row.Timestamp, total);
        ResolveProject();
        _calls.Add(new LlmCall
        {
            Source = SourceNames.Codex,
            CallKey = key,
            KeyKind = KeyKind.Derived,
            SessionId = sessionId,
            Timestamp = timestamp,
            Model = _state.Model ?? row.InfoModel ?? row.Model ?? UnknownModel,
            Provider = Provider,
            Usage = ToUsage(row.Last ?? delta),
            StopReason = StopReason.Unknown,
            Project = _project,
            ProjectKey = _projectKey,
        });

        foreach (var id in _state.PendingRequests)
        {
            Tool(id).CallKey ??= key;
        }

        foreach (var id in _state.PendingOutputs)
        {
            Tool(id).ConsumerCallKey ??= key;
        }

        _state.PendingRequests.Clear();
        _state.PendingOutputs.Clear();
    }

    /// <summary>
    /// <c>&lt;timestamp&gt;|&lt;input&gt;|&lt;cached&gt;|&lt;output&gt;|&lt;reasoning&gt;</c>, a count not reported
    /// left empty: what an interpolated string makes of them, without boxing each count to format it.
    /// </summary>
    private static string CallKey(string? timestamp, CodexCounts total)
    {
        var key = new DefaultInterpolatedStringHandler(4, 5, CultureInfo.InvariantCulture);
        key.AppendFormatted(timestamp);
        foreach (var count in (ReadOnlySpan<long?>)[total.Input, total.Cached, total.Output, total.Reasoning])
        {
            key.AppendLiteral("|");
            if (count is { } value)
            {
                key.AppendFormatted(value);
            }
        }

        return key.ToStringAndClear();
    }

    /// <summary>Codex counts cached input inside input and reasoning inside output; the buckets are disjoint.</summary>
    internal static TokenUsage ToUsage(CodexCounts counts)
    {
        long? input = counts.Input;
        long? cached = counts.Cached;
        if (input is { } i && cached is { } c)
        {
            // Cached can only be part of the input; more is a reporting glitch, clamped so the billed total stays input_tokens.
            cached = Math.Min(c, i);
            input = i - cached;
        }

        return new TokenUsage(input, cached, null, null, counts.Output, counts.Reasoning);
    }

    private void ResolveProject()
    {
        if (_projectResolved)
        {
            return;
        }

        _project = _state.Cwd ?? _state.TurnCwd;
        if (_project is not null)
        {
            _projectKey = _projects.Resolve(_project);
            _projectResolved = true;
        }
    }

    private ToolBuilder Tool(string id)
    {
        if (!_tools.TryGetValue(id, out var tool))
        {
            tool = new ToolBuilder(id);
            _tools[id] = tool;
            _toolOrder.Add(tool);
        }

        return tool;
    }

    private static void AddPending(List<string> pending, string id)
    {
        if (!pending.Contains(id, StringComparer.Ordinal))
        {
            pending.Add(id);
        }
    }

    private void Skip(long lineNumber, string reason) => _skipped.Add(new SkippedLine(_path, lineNumber, reason));

    /// <summary>The uuid that ends a rollout's file name (<c>rollout-2025-10-01T12-00-00-&lt;uuid&gt;.jsonl</c>).</summary>
    internal static string? SessionIdFromFileName(string path)
    {
        var stem = Path.GetFileNameWithoutExtension(path);
        return stem.Length >= 36 && Guid.TryParseExact(stem[^36..], "D", out _) ? stem[^36..] : null;
    }

    private sealed class ToolBuilder(string id)
    {
        public string Id { get; } = id;
        public string? Name;
        public string? Target;
        public string? CallKey;
        public string? ConsumerCallKey;
        public DateTimeOffset? RequestTime;
        public DateTimeOffset? ResultTime;
        public long? OutputBytes;
        public bool? Truncated;
        public bool? IsError;

        /// <summary>Any failure signal wins; a success signal only fills an unknown.</summary>
        public void MergeError(bool? error)
        {
            if (error is { } e)
            {
                IsError = IsError == true || e;
            }
        }

        public ToolResult Build(string sessionId) => new()
        {
            Source = SourceNames.Codex,
            ToolUseId = Id,
            SessionId = sessionId,
            CallKey = CallKey,
            Name = Name,
            Target = Target,
            Timestamp = RequestTime ?? ResultTime,
            OutputBytes = OutputBytes,
            Truncated = Truncated,
            // A result with no failure signal (exit code, success flag) is taken as a success.
            IsError = IsError ?? (OutputBytes is null ? null : false),
            ConsumerCallKey = ConsumerCallKey,
        };
    }
}
