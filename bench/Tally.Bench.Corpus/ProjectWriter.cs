using System.Text;

namespace Tally.Bench.Corpus;

/// <summary>
/// Writes every session of one project folder. A project is the unit of parallelism and of
/// determinism: its output depends only on its plan, its seed and the shared text pools,
/// never on which thread ran it or in what order.
/// </summary>
internal sealed partial class ProjectWriter
{
    private const string Sonnet = "claude-sonnet-4-5-20250929";
    private const string Opus = "claude-opus-4-1-20250805";
    private const string Haiku = "claude-haiku-4-5-20251001";
    /// <summary>A model no price catalog knows: its tokens count, its cost must show as unknown.</summary>
    private const string Unpriced = "claude-experimental-x";

    private static readonly string[] Models = [Sonnet, Opus, Haiku, Unpriced];
    private static readonly int[] PrimaryModelWeights = [62, 23, 12, 3];
    private static readonly int[] OtherModelWeights = [50, 20, 28, 2];
    private static readonly string[] Versions = ["2.1.92", "2.1.96", "2.1.101", "2.1.104"];
    private const string LegacyVersion = "1.0.58";
    private static readonly string[] Branches = ["main", "main", "main", "develop", "feat/pooled-reader", "fix/cache-ratio"];

    private readonly TextPools _pools;
    private readonly ProjectPlan _plan;
    private readonly string _dir;
    private readonly Rng _rng;
    /// <summary>Separate, so that breaking a line does not shift everything written after it.</summary>
    private readonly Rng _breakRng;
    private readonly JsonLine _line = new();
    private readonly JsonLine _msg = new();
    private readonly string[] _paths;
    private readonly List<FinishedSession> _finished = [];

    private long _toolResults;
    private long _lineNo;
    private long _nextBreak;

    public ProjectWriter(TextPools pools, ProjectPlan plan, string projectsDir)
    {
        _pools = pools;
        _plan = plan;
        _dir = Path.Combine(projectsDir, plan.Slug);
        _rng = new Rng(plan.Seed, (ulong)plan.Index);
        // Torn lines come about once in 50,000 lines; the first project gets one early so
        // that even a small corpus has one.
        _breakRng = new Rng(plan.Seed, 0x627265616B);
        _nextBreak = plan.Index == 0 ? _breakRng.Range(100, 2_000) : _breakRng.Range(1, 50_000);
        _paths = MakePaths(_rng);
    }

    public GroundTruth Truth { get; } = new();
    public CorpusStats Stats { get; } = new();

    private sealed record FinishedSession(string SessionId, string Path, long Bytes, string? LastUuid, long EndMs, long ContextTokens);

    private enum CacheTtl { Legacy, FiveMinute, OneHour }

    private enum ToolKind { Bash, Read, Edit, Grep, Task }

    private sealed class Session
    {
        public required SessionPlan Plan { get; init; }
        public required Transcript Main { get; init; }
        public required string Version { get; init; }
        public required string Branch { get; init; }
        public required CacheTtl Ttl { get; init; }
        public required string PrimaryModel { get; init; }
        public long Clock { get; set; }
    }

    private sealed class ToolCall
    {
        public required ToolKind Kind { get; init; }
        public required string Id { get; init; }
        public int Path { get; init; }
        public int A { get; init; }
        public int B { get; init; }
        public int C { get; init; }
        public string? Text { get; init; }
    }

    private readonly record struct Usage(long Input, long CacheRead, long Write5m, long Write1h, long Output, bool Split)
    {
        public long CacheWrite => Write5m + Write1h;
        public long Total => Input + CacheRead + CacheWrite + Output;
    }

    /// <summary>Where the rows of a subagent's calls are mirrored as <c>agent_progress</c> rows.</summary>
    private sealed record ProgressTarget(Session Session, string AgentId, string TaskToolId);

    public void Run()
    {
        Directory.CreateDirectory(_dir);
        foreach (var plan in _plan.Sessions)
        {
            RunSession(plan);
        }
    }

    private static string[] MakePaths(Rng rng)
    {
        string[] dirs = ["src", "src/api", "src/core", "src/ui/components", "lib", "tests", "scripts", "docs", "src/db", "internal/ledger"];
        string[] names = ["index", "Reader", "Ledger", "handler", "Summary", "config", "PriceCatalog", "session", "utils", "Program", "Cursor", "schema", "router", "client", "README"];
        string[] exts = [".ts", ".cs", ".py", ".go", ".tsx", ".rs", ".md", ".json", ".sql"];
        var paths = new string[160];
        for (int i = 0; i < paths.Length; i++)
        {
            paths[i] = dirs[rng.Next(dirs.Length)] + "/" + names[rng.Next(names.Length)] + (i % 7 == 0 ? "" : i.ToString(System.Globalization.CultureInfo.InvariantCulture)) + exts[rng.Next(exts.Length)];
        }
        return paths;
    }

    private string FullPath(int path) => _plan.Cwd + "/" + _paths[path % _paths.Length];

    // ---- sessions -------------------------------------------------------------------------

    private void RunSession(SessionPlan plan)
    {
        string path = Path.Combine(_dir, plan.SessionId + ".jsonl");
        using var main = new Transcript(path, plan.SessionId, null, plan.TargetBytes);
        var s = new Session
        {
            Plan = plan,
            Main = main,
            Version = plan.Legacy ? LegacyVersion : Versions[_rng.Next(Versions.Length)],
            Branch = Branches[_rng.Next(Branches.Length)],
            Ttl = plan.Legacy ? CacheTtl.Legacy : _rng.Chance(0.22) ? CacheTtl.OneHour : CacheTtl.FiveMinute,
            PrimaryModel = Models[_rng.Pick(PrimaryModelWeights)],
            Clock = plan.StartMs,
        };
        Stats.Files++;
        Stats.SessionFiles++;

        if (plan.TargetBytes < 2_500)
        {
            WriteMetadataOnly(s);
        }
        else
        {
            TryResume(s);
            WriteConversation(s);
        }

        Stats.Bytes += main.Bytes;
        Stats.FileSizes.Add(main.Bytes);
        _finished.Add(new FinishedSession(plan.SessionId, path, main.Bytes, main.LastUuid, s.Clock, main.ContextTokens));
    }

    /// <summary>
    /// Resuming a session copies its history into the new file with the same message and
    /// request ids (only the session id is rewritten), then the conversation continues.
    /// </summary>
    private void TryResume(Session s)
    {
        if (s.Plan.TargetBytes < 40_000 || !_rng.Chance(0.12))
        {
            return;
        }
        var candidates = _finished.Where(f => f.Bytes >= 4_000 && f.Bytes <= s.Plan.TargetBytes * 6 / 10 && f.LastUuid is not null).ToList();
        if (candidates.Count == 0)
        {
            return;
        }
        var source = candidates[_rng.Next(candidates.Count)];
        byte[] bytes = File.ReadAllBytes(source.Path);
        ReplaceAll(bytes, Encoding.ASCII.GetBytes(source.SessionId), Encoding.ASCII.GetBytes(s.Plan.SessionId));
        s.Main.Write(bytes);
        s.Main.LastUuid = source.LastUuid;
        s.Main.ContextTokens = source.ContextTokens;
        s.Clock = Math.Max(s.Clock, source.EndMs + _rng.RangeLong(60_000, 36 * 3_600_000L));
        Stats.ResumedSessions++;
        Stats.ReplayedBytes += bytes.Length;
        Stats.Lines += bytes.AsSpan().Count((byte)'\n');
    }

    private static void ReplaceAll(byte[] haystack, byte[] from, byte[] to)
    {
        var span = haystack.AsSpan();
        int at = 0;
        while (true)
        {
            int i = span[at..].IndexOf(from);
            if (i < 0)
            {
                return;
            }
            to.CopyTo(span[(at + i)..]);
            at += i + from.Length;
        }
    }

    private void WriteMetadataOnly(Session s)
    {
        // Tiny files in real corpora are sessions that only left titles and snapshots behind.
        while (s.Main.Bytes < s.Plan.TargetBytes)
        {
            if (_rng.Chance(0.6))
            {
                SummaryRow(s.Main);
            }
            else
            {
                SnapshotRow(s, s.Main);
            }
        }
    }

    private void WriteConversation(Session s)
    {
        var main = s.Main;
        if (_rng.Chance(0.35))
        {
            int n = _rng.Range(1, 3);
            for (int i = 0; i < n; i++)
            {
                SummaryRow(main);
            }
        }

        var pending = new Queue<long>(s.Plan.SubagentTargets);
        int subagents = pending.Count;
        int launched = 0;
        bool firstTurn = true;

        while (pending.Count > 0 || main.Bytes + 1_200 < main.TargetBytes || firstTurn)
        {
            if (!firstTurn)
            {
                s.Clock += _rng.RangeLong(20_000, 900_000);
            }
            firstTurn = false;
            if (_rng.Chance(0.5))
            {
                SnapshotRow(s, main);
            }
            PromptRow(s, main, _rng.Range(20, 600));
            if (main.Cold && main.ContextTokens == 0)
            {
                main.PendingTokens += _rng.Range(12_000, 22_000); // system prompt and tool schemas
            }

            int calls = 1 + Math.Min(24, (int)(-Math.Log(1 - _rng.NextDouble()) * 4));
            for (int c = 0; c < calls || pending.Count > 0; c++)
            {
                bool subagentDue = pending.Count > 0
                    && (main.Bytes >= main.TargetBytes * (launched + 1) / (subagents + 1) || main.Bytes + 1_200 >= main.TargetBytes);
                bool final = c >= calls - 1 && !subagentDue;
                if (subagentDue)
                {
                    launched++;
                    TaskCall(s, pending.Dequeue());
                }
                else
                {
                    AgentCall(s, main, final, null, _rng.Chance(0.05) ? PickOther(s.PrimaryModel) : s.PrimaryModel);
                }
                MaybeCompact(s, main);
                if (final || (pending.Count == 0 && main.Bytes + 1_200 >= main.TargetBytes))
                {
                    break;
                }
            }
        }
    }

    private string PickOther(string primary)
    {
        string m = Models[_rng.Pick(OtherModelWeights)];
        return m == primary ? Sonnet : m;
    }

    /// <summary>
    /// One assistant API call (its content blocks written as streamed rows), followed by the
    /// tool results it asked for. Returns its usage.
    /// </summary>
    private Usage AgentCall(Session s, Transcript t, bool final, ProgressTarget? mirror, string model)
    {
        var tools = new List<ToolCall>(2);
        if (!final)
        {
            int n = _rng.Chance(0.2) ? 2 : 1;
            for (int i = 0; i < n; i++)
            {
                tools.Add(NewTool(_rng.Pick([35, 30, 15, 20]) switch
                {
                    0 => ToolKind.Bash,
                    1 => ToolKind.Read,
                    2 => ToolKind.Edit,
                    _ => ToolKind.Grep,
                }));
            }
        }
        var usage = WriteAssistantCall(s, t, tools, final, mirror, model);
        foreach (var tool in tools)
        {
            ToolResultRow(s, t, tool, null);
        }
        return usage;
    }

    private ToolCall NewTool(ToolKind kind) => new()
    {
        Kind = kind,
        Id = JsonLine.NewBase62(_rng, "toolu_01", 22),
        Path = _rng.Next(_paths.Length),
        A = _rng.Next(1 << 20),
        B = _rng.Next(1 << 20),
        C = _rng.Range(1, 6),
    };

    private void TaskCall(Session s, long subagentTarget)
    {
        var main = s.Main;
        var task = new ToolCall
        {
            Kind = ToolKind.Task,
            Id = JsonLine.NewBase62(_rng, "toolu_01", 22),
            A = _rng.Next(1 << 20),
            B = _rng.Range(200, 900),
            C = _rng.Chance(0.5) ? 0 : 1,
            Text = TextPools.Title(_rng),
        };
        WriteAssistantCall(s, main, [task], final: false, mirror: null, s.PrimaryModel);
        var result = RunSubagent(s, task, subagentTarget);
        ToolResultRow(s, main, task, result);
        MaybeCompact(s, main);
    }

    private sealed record SubagentResult(string AgentId, Usage LastUsage, long TotalTokens, int ToolUses, int ReportFirst, int ReportBytes, long DurationMs);

    private SubagentResult RunSubagent(Session s, ToolCall task, long target)
    {
        string agentId = JsonLine.NewHex(_rng, 8);
        string dir = Path.Combine(_dir, s.Plan.SessionId, "subagents");
        Directory.CreateDirectory(dir);
        using var sub = new Transcript(Path.Combine(dir, "agent-" + agentId + ".jsonl"), s.Plan.SessionId, agentId, target);
        Stats.Files++;
        Stats.SubagentFiles++;
        long started = s.Clock;
        string model = _rng.Chance(0.55) ? Haiku : s.PrimaryModel;
        var mirror = new ProgressTarget(s, agentId, task.Id);

        // The subagent's first row is the prompt the Task call gave it.
        _line.Clear();
        Header(s, sub, null);
        _line.Raw(",\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":\""u8);
        _pools.Prose.AppendWords(_line, task.A, task.B);
        _line.Raw("\"}"u8);
        EndRow(s, sub);
        Stats.UserRows++;
        sub.PendingTokens += _rng.Range(9_000, 15_000) + task.B / 4;

        long total = 0;
        int tools = 0;
        Usage last;
        while (true)
        {
            bool final = sub.Bytes + 1_500 >= sub.TargetBytes;
            int before = (int)Stats.ToolResultRows;
            last = AgentCall(s, sub, final, mirror, model);
            tools += (int)Stats.ToolResultRows - before;
            total += last.Total;
            if (final)
            {
                break;
            }
            MaybeCompact(s, sub);
        }
        Stats.Bytes += sub.Bytes;
        Stats.FileSizes.Add(sub.Bytes);
        return new SubagentResult(agentId, last, total, tools, _rng.Next(1 << 20), _rng.Range(300, 2_500), s.Clock - started);
    }

    private void MaybeCompact(Session s, Transcript t)
    {
        if (t.ContextTokens + t.PendingTokens < 150_000)
        {
            return;
        }
        // Auto-compaction: a boundary marker, then a user row carrying the conversation summary.
        _line.Clear();
        _line.Raw("{\"parentUuid\":null,\"logicalParentUuid\":"u8);
        NullableString(t.LastUuid);
        _line.Raw(",\"isSidechain\":"u8).Raw(t.Sidechain ? "true"u8 : "false"u8);
        _line.Raw(",\"userType\":\"external\",\"cwd\":\""u8).Ascii(_plan.Cwd);
        _line.Raw("\",\"sessionId\":\""u8).Ascii(t.SessionId).Raw("\",\"version\":\""u8).Ascii(s.Version);
        _line.Raw("\",\"gitBranch\":\""u8).Ascii(s.Branch);
        _line.Raw("\",\"type\":\"system\",\"subtype\":\"compact_boundary\",\"content\":\"Conversation compacted\",\"isMeta\":false,\"timestamp\":\""u8);
        s.Clock += _rng.RangeLong(5_000, 60_000);
        _line.Timestamp(s.Clock);
        string uuid = JsonLine.NewUuid(_rng);
        _line.Raw("\",\"uuid\":\""u8).Ascii(uuid).Raw("\",\"level\":\"info\",\"compactMetadata\":{\"trigger\":\"auto\",\"preTokens\":"u8);
        _line.Long(t.ContextTokens + t.PendingTokens).Raw("}}\n"u8);
        Emit(t, breakable: true);
        t.LastUuid = uuid;
        Stats.SystemRows++;

        int bytes = _rng.Range(3_000, 8_000);
        _line.Clear();
        Header(s, t, t.LastUuid);
        _line.Raw(",\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":\"This session is being continued from a previous conversation that ran out of context. The conversation is summarized below:\\n"u8);
        _pools.Prose.AppendWords(_line, _rng.Next(1 << 20), bytes, joinWithNewline: true);
        _line.Raw("\"},\"isVisibleInTranscriptOnly\":true,\"isCompactSummary\":true"u8);
        EndRow(s, t);
        Stats.UserRows++;

        t.ContextTokens = 0;
        t.PendingTokens = _rng.Range(12_000, 22_000) + bytes / 4;
        t.Cold = true;
    }

    // ---- rows -----------------------------------------------------------------------------

    /// <summary>Writes the current <see cref="_line"/> (which ends with a newline), maybe breaking it.</summary>
    private void Emit(Transcript t, bool breakable)
    {
        _lineNo++;
        Stats.Lines++;
        var span = _line.Span;
        if (breakable && _lineNo >= _nextBreak && span.Length > 40)
        {
            // A torn write: the row stops mid-JSON. Never the only copy of a billed call, so the
            // ground truth is unaffected; cut on a UTF-8 boundary so only the JSON is broken.
            int cut = span.Length * _breakRng.Range(15, 85) / 100;
            while (cut > 1 && (span[cut] & 0xC0) == 0x80)
            {
                cut--;
            }
            t.Write(span[..cut]);
            t.Write("\n"u8);
            Stats.BrokenLines++;
            _nextBreak = _lineNo + _breakRng.Range(25_000, 75_000);
            return;
        }
        t.Write(span);
    }

    private void NullableString(string? s)
    {
        if (s is null)
        {
            _line.Raw("null"u8);
        }
        else
        {
            _line.Byte((byte)'"').Ascii(s).Byte((byte)'"');
        }
    }

    /// <summary>The fields every conversation row starts with, in Claude Code's order.</summary>
    private void Header(Session s, Transcript t, string? parentUuid)
    {
        _line.Raw("{\"parentUuid\":"u8);
        NullableString(parentUuid);
        _line.Raw(",\"isSidechain\":"u8).Raw(t.Sidechain ? "true"u8 : "false"u8);
        _line.Raw(",\"userType\":\"external\",\"cwd\":\""u8).Ascii(_plan.Cwd);
        _line.Raw("\",\"sessionId\":\""u8).Ascii(t.SessionId);
        _line.Raw("\",\"version\":\""u8).Ascii(s.Version);
        _line.Raw("\",\"gitBranch\":\""u8).Ascii(s.Branch).Byte((byte)'"');
        if (t.AgentId is not null)
        {
            _line.Raw(",\"agentId\":\""u8).Ascii(t.AgentId).Byte((byte)'"');
        }
    }

    /// <summary>Closes a row with uuid and timestamp, writes it and links the chain.</summary>
    private void EndRow(Session s, Transcript t) => Close(t, Stamp(s));

    /// <summary>Writes the row's uuid and timestamp; fields that follow them come next.</summary>
    private string Stamp(Session s)
    {
        string uuid = JsonLine.NewUuid(_rng);
        s.Clock += _rng.RangeLong(100, 20_000);
        _line.Raw(",\"uuid\":\""u8).Ascii(uuid).Raw("\",\"timestamp\":\""u8).Timestamp(s.Clock).Byte((byte)'"');
        return uuid;
    }

    private void Close(Transcript t, string uuid, bool breakable = true)
    {
        _line.Raw("}\n"u8);
        Emit(t, breakable);
        t.LastUuid = uuid;
    }

    private void PromptRow(Session s, Transcript t, int bytes)
    {
        _line.Clear();
        Header(s, t, t.LastUuid);
        _line.Raw(",\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":"u8);
        bool blocks = _rng.Chance(0.1);
        _line.Raw(blocks ? "[{\"type\":\"text\",\"text\":\""u8 : "\""u8);
        _pools.Prose.AppendWords(_line, _rng.Next(1 << 20), bytes);
        _line.Raw(blocks ? "\"}]}"u8 : "\"}"u8);
        EndRow(s, t);
        Stats.UserRows++;
        t.PendingTokens += bytes / 4 + 4;
    }

    private void SummaryRow(Transcript t)
    {
        _line.Clear();
        _line.Raw("{\"type\":\"summary\",\"summary\":\""u8);
        TextPools.AppendEscaped(_line, TextPools.Title(_rng));
        _line.Raw("\",\"leafUuid\":\""u8).Ascii(JsonLine.NewUuid(_rng)).Raw("\"}\n"u8);
        Emit(t, breakable: true);
        Stats.SummaryRows++;
    }

    private void SnapshotRow(Session s, Transcript t)
    {
        string id = JsonLine.NewUuid(_rng);
        _line.Clear();
        _line.Raw("{\"type\":\"file-history-snapshot\",\"messageId\":\""u8).Ascii(id);
        _line.Raw("\",\"snapshot\":{\"messageId\":\""u8).Ascii(id).Raw("\",\"trackedFileBackups\":{"u8);
        int files = _rng.Range(0, 6);
        for (int i = 0; i < files; i++)
        {
            if (i > 0)
            {
                _line.Byte((byte)',');
            }
            _line.Byte((byte)'"').Ascii(FullPath(_rng.Next(_paths.Length)));
            _line.Raw("\":{\"backupFileName\":\""u8).Ascii(JsonLine.NewHex(_rng, 16)).Raw("@v"u8);
            int v = _rng.Range(1, 9);
            _line.Long(v).Raw("\",\"version\":"u8).Long(v).Raw(",\"backupTime\":\""u8).Timestamp(s.Clock).Raw("\"}"u8);
        }
        _line.Raw("},\"timestamp\":\""u8).Timestamp(s.Clock).Raw("\"},\"isSnapshotUpdate\":"u8);
        _line.Raw(_rng.Chance(0.3) ? "true}\n"u8 : "false}\n"u8);
        Emit(t, breakable: true);
        Stats.SnapshotRows++;
    }
}
