namespace Tally.Bench.Corpus;

/// <summary>
/// Writes Codex CLI rollouts: <c>HOME/.codex/sessions/YYYY/MM/DD/rollout-YYYY-MM-DDTHH-MM-SS-&lt;uuid&gt;.jsonl</c>.
/// </summary>
/// <remarks>
/// Every model call ends with an <c>event_msg</c> <c>token_count</c> carrying the cumulative
/// <c>total_token_usage</c> and the call's own <c>last_token_usage</c> (cached ⊂ input, reasoning ⊂ output).
/// Traps: the first event of a session has <c>info: null</c>; about a third of the calls are followed by
/// a re-emit with unchanged totals (not a call); a few files are forks that open by replaying a prefix
/// of a parent rollout with the parent's timestamps and totals (not calls of their own), then go on.
/// </remarks>
internal sealed class CodexWriter
{
    public const string Source = "codex";
    private const long Day = 86_400_000L;

    private static readonly (double Q, double Bytes)[] Quantiles =
    [
        (0.0, 6e3), (0.25, 70e3), (0.5, 220e3), (0.75, 520e3), (0.9, 1.2e6), (0.99, 4.5e6), (1.0, 9e6),
    ];

    private static readonly string[] Models = ["gpt-5-codex", "gpt-5", "gpt-5.1-codex"];
    private static readonly int[] ModelWeights = [70, 20, 10];
    private static readonly string[] Commands =
    [
        "rg -n \\\"TokenUsage\\\" src", "dotnet build -c Release", "dotnet test --no-build", "git status --short",
        "sed -n 1,200p src/Program.cs", "ls -la", "cat README.md", "git diff --stat", "npm test", "cargo check",
    ];

    private readonly TextPools _pools;
    private readonly string _sessionsDir;
    private readonly JsonLine _line = new();

    public GroundTruth Truth { get; } = new();
    public SourceStats Stats { get; } = new(Source);

    private CodexWriter(TextPools pools, string sessionsDir)
    {
        _pools = pools;
        _sessionsDir = sessionsDir;
    }

    private sealed class Job
    {
        public required int Index;
        public required long Target;
        public required long StartMs;
        public required ulong Seed;
        public required string Cwd;
        public List<Job> Forks { get; } = [];
    }

    public static (GroundTruth Truth, SourceStats Stats) Generate(TextPools pools, long bytes, ulong seed, string home, int threads)
    {
        string sessionsDir = Path.Combine(home, ".codex", "sessions");
        Directory.CreateDirectory(sessionsDir);
        var rng = new Rng(seed, 0x636F646578);
        int n = (int)Math.Max(2, Math.Round(bytes / 380e3));
        var sizes = new double[n];
        for (int i = 0; i < n; i++)
        {
            sizes[i] = Quantile((i + 0.5) / n);
        }
        double scale = bytes / sizes.Sum();
        long windowStart = new DateTimeOffset(2026, 8, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
        string[] roots = ["/home/dev/src/", "/home/dev/work/"];
        var jobs = new List<Job>(n);
        for (int i = 0; i < n; i++)
        {
            jobs.Add(new Job
            {
                Index = i,
                Target = Math.Max(3000, (long)(sizes[i] * scale)),
                StartMs = windowStart + rng.RangeLong(0, 57 * Day),
                Seed = rng.NextU64(),
                Cwd = roots[rng.Next(roots.Length)] + CorpusPlan.ProjectNames[rng.Next(12)],
            });
        }
        // About 4% of the files (at least one when there are 4 or more) are forks of another file.
        var top = new List<Job>();
        var hosts = new List<Job>();
        int forks = n >= 4 ? Math.Max(1, n / 25) : 0;
        foreach (var j in jobs.OrderBy(j => (j.Index * 2654435761L) % n))
        {
            if (forks > 0 && hosts.Count > 0 && j.Target < 3_000_000)
            {
                hosts[rng.Next(hosts.Count)].Forks.Add(j);
                forks--;
                continue;
            }
            if (j.Target is > 40_000 and < 2_500_000)
            {
                hosts.Add(j);
            }
            top.Add(j);
        }

        var writers = new System.Collections.Concurrent.ConcurrentBag<CodexWriter>();
        Parallel.ForEach(top.OrderByDescending(j => j.Target + j.Forks.Sum(f => f.Target)),
            new ParallelOptions { MaxDegreeOfParallelism = threads },
            () => new CodexWriter(pools, sessionsDir),
            (job, _, w) => { w.Write(job); return w; },
            writers.Add);
        var truth = new GroundTruth();
        var stats = new SourceStats(Source);
        foreach (var w in writers)
        {
            truth.Add(w.Truth);
            stats.Add(w.Stats);
        }
        return (truth, stats);
    }

    private static double Quantile(double q)
    {
        for (int i = 1; i < Quantiles.Length; i++)
        {
            if (q <= Quantiles[i].Q)
            {
                var (q0, s0) = Quantiles[i - 1];
                var (q1, s1) = Quantiles[i];
                return s0 * Math.Pow(s1 / s0, (q - q0) / (q1 - q0));
            }
        }
        return Quantiles[^1].Bytes;
    }

    private struct Counts
    {
        public long Input, Cached, Output, Reasoning;
        public readonly long Total => Input + Output;
    }

    /// <summary>A line already written, kept so that a fork can replay it.</summary>
    private readonly record struct Kept(byte[] Bytes, long Ms, bool IsCall, Counts Totals);

    private void Write(Job job)
    {
        var rng = new Rng(job.Seed, 0x726F6C6C);
        string id = JsonLine.NewUuid(rng);
        string model = Models[rng.Pick(ModelWeights)];
        var kept = job.Forks.Count > 0 ? new List<Kept>() : null;
        using (var file = Open(job.StartMs, id))
        {
            WriteSession(file, rng, job, id, model, job.StartMs, null, default, kept, countCalls: true);
        }
        foreach (var fork in job.Forks)
        {
            var frng = new Rng(fork.Seed, 0x666F726B);
            // Replay a prefix that ends just after one of the parent's calls.
            var parentLines = kept!;
            int calls = parentLines.Count(k => k.IsCall);
            int upto = Math.Max(1, frng.Range(calls / 3, Math.Max(calls / 3, calls * 3 / 4)));
            int end = 0;
            for (int seen = 0; end < parentLines.Count; end++)
            {
                if (parentLines[end].IsCall && ++seen == upto)
                {
                    end++;
                    break;
                }
            }
            var last = parentLines[Math.Max(0, end - 1)];
            long forkMs = last.Ms + frng.RangeLong(60_000, 3_600_000);
            string forkId = JsonLine.NewUuid(frng);
            using var file = Open(forkMs, forkId);
            var prefix = parentLines.GetRange(0, end);
            WriteSession(file, frng, fork, forkId, model, forkMs, (id, prefix), last.Totals, null, countCalls: true);
            Stats.Count("forkedFiles");
        }
    }

    private FileStream Open(long ms, string id)
    {
        var dt = DateTime.UnixEpoch.AddMilliseconds(ms);
        string dir = Path.Combine(_sessionsDir, dt.ToString("yyyy"), dt.ToString("MM"), dt.ToString("dd"));
        Directory.CreateDirectory(dir);
        return new FileStream(Path.Combine(dir, $"rollout-{dt:yyyy-MM-ddTHH-mm-ss}-{id}.jsonl"), FileMode.CreateNew,
            FileAccess.Write, FileShare.None, 1 << 16);
    }

    private void WriteSession(FileStream file, Rng rng, Job job, string id, string model, long startMs,
        (string ParentId, List<Kept> Lines)? replay, Counts totals, List<Kept>? kept, bool countCalls)
    {
        long written = 0;
        long ms = startMs;
        int outputs = 0;

        void Emit(bool isCall = false)
        {
            _line.Byte((byte)'\n');
            file.Write(_line.Span);
            written += _line.Length;
            Stats.Lines++;
            kept?.Add(new Kept(_line.Span.ToArray(), ms, isCall, totals));
            _line.Clear();
        }

        Head(ms).Raw("\"session_meta\",\"payload\":{\"id\":\""u8).Ascii(id).Raw("\",\"timestamp\":\""u8).Timestamp(ms)
            .Raw("\",\"cwd\":"u8).Quoted(job.Cwd).Raw(",\"originator\":\"codex_cli_rs\",\"cli_version\":\"0.46.0\""u8);
        if (replay is { } r)
        {
            _line.Raw(",\"forked_from_id\":\""u8).Ascii(r.ParentId).Byte((byte)'"');
        }
        _line.Raw(",\"instructions\":null,\"source\":\"cli\",\"model_provider\":\"openai\",\"git\":{\"commit_hash\":\""u8)
            .Ascii(JsonLine.NewHex(rng, 40)).Raw("\",\"branch\":\"main\",\"repository_url\":\"git@github.com:acme/"u8)
            .Ascii(Path.GetFileName(job.Cwd)).Raw(".git\"}}}"u8);
        Emit();

        if (replay is { } rp)
        {
            foreach (var k in rp.Lines)
            {
                file.Write(k.Bytes);
                written += k.Bytes.Length;
                Stats.Lines++;
                Stats.Add("replayedBytes", k.Bytes.Length);
                if (k.IsCall)
                {
                    Stats.Count("replayedCalls");
                }
            }
            ms += rng.RangeLong(4_000, 60_000); // the first own line comes well after the fork
        }
        else
        {
            ms += 120;
            TurnContext(ms, job.Cwd, model);
            Emit();
            ms += 200;
            Head(ms).Raw("\"event_msg\",\"payload\":{\"type\":\"token_count\",\"info\":null,\"rate_limits\":"u8);
            RateLimits(rng);
            _line.Raw("}}"u8);
            Emit();
            Stats.Count("infoNullEvents");
        }

        bool firstTurn = replay is null;
        long context = totals.Total > 0 ? rng.Range(9_000, 40_000) : rng.Range(6_000, 9_000);
        while (written < job.Target)
        {
            if (!firstTurn)
            {
                ms += rng.RangeLong(20_000, 900_000);
                TurnContext(ms, job.Cwd, model);
                Emit();
            }
            firstTurn = false;
            ms += rng.Range(500, 3000);
            int promptBytes = rng.Range(60, 900);
            int promptFirst = rng.Next(1 << 20);
            Head(ms).Raw("\"response_item\",\"payload\":{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\""u8);
            _pools.Prose.AppendWords(_line, promptFirst, promptBytes);
            _line.Raw("\"}]}}"u8);
            Emit();
            Head(ms).Raw("\"event_msg\",\"payload\":{\"type\":\"user_message\",\"message\":\""u8);
            _pools.Prose.AppendWords(_line, promptFirst, promptBytes);
            _line.Raw("\",\"images\":[]}}"u8);
            Emit();
            context += promptBytes / 4 + 20;

            int steps = rng.Range(1, 9);
            for (int s = 0; s < steps && written < job.Target; s++)
            {
                bool final = s == steps - 1;
                ms += rng.Range(1500, 25_000);
                // Reasoning summary and encrypted content.
                Head(ms).Raw("\"response_item\",\"payload\":{\"type\":\"reasoning\",\"summary\":[{\"type\":\"summary_text\",\"text\":\"**"u8)
                    .Ascii(TextPools.Title(rng)).Raw("**\"}],\"content\":null,\"encrypted_content\":\"gAAAAA"u8);
                int b64 = rng.Range(12, 60);
                int b64First = rng.Next(1 << 20);
                for (int i = 0; i < b64; i++)
                {
                    _line.Raw(_pools.Base64.Line(b64First + i));
                }
                _line.Raw("\"}}"u8);
                Emit();

                string callId = "";
                if (!final)
                {
                    callId = JsonLine.NewBase62(rng, "call_", 24);
                    Head(ms).Raw("\"response_item\",\"payload\":{\"type\":\"function_call\",\"name\":\"shell\",\"arguments\":\"{\\\"command\\\":[\\\"bash\\\",\\\"-lc\\\",\\\""u8)
                        .Ascii(Commands[rng.Next(Commands.Length)].Replace("\\\"", "\\\\\\\"")).Raw("\\\"],\\\"workdir\\\":\\\""u8)
                        .Ascii(job.Cwd).Raw("\\\",\\\"timeout_ms\\\":120000}\",\"call_id\":\""u8).Ascii(callId).Raw("\"}}"u8);
                    Emit();
                }
                else
                {
                    int textBytes = rng.Range(200, 2500);
                    int textFirst = rng.Next(1 << 20);
                    Head(ms).Raw("\"response_item\",\"payload\":{\"type\":\"message\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\""u8);
                    _pools.Prose.AppendWords(_line, textFirst, textBytes, joinWithNewline: true);
                    _line.Raw("\"}]}}"u8);
                    Emit();
                    Head(ms).Raw("\"event_msg\",\"payload\":{\"type\":\"agent_message\",\"message\":\""u8);
                    _pools.Prose.AppendWords(_line, textFirst, textBytes, joinWithNewline: true);
                    _line.Raw("\"}}"u8);
                    Emit();
                }

                // The call: everything up to now was the prompt; most of it was cached.
                var last = new Counts();
                bool cold = rng.Chance(0.06);
                long fresh = rng.Range(300, 6000);
                last.Input = context + fresh;
                last.Cached = cold ? 0 : context / 128 * 128;
                last.Reasoning = rng.Chance(0.7) ? rng.Range(0, 12) * 64 : 0;
                last.Output = last.Reasoning + rng.Range(30, 1800);
                totals.Input += last.Input;
                totals.Cached += last.Cached;
                totals.Output += last.Output;
                totals.Reasoning += last.Reasoning;
                context = last.Input + last.Output - last.Reasoning;
                if (context > 230_000)
                {
                    context = rng.Range(12_000, 30_000); // auto-compaction
                }
                ms += rng.Range(50, 400);
                TokenCount(ms, rng, totals, last);
                Emit(isCall: true);
                if (countCalls)
                {
                    Truth.AddCall(model, last.Input - last.Cached, last.Cached, 0, 0, last.Output, last.Reasoning);
                }
                // Re-emits: the UI and rate-limit refreshes repeat the event with unchanged totals.
                int re = rng.Chance(0.35) ? rng.Range(1, 2) : 0;
                for (int i = 0; i < re; i++)
                {
                    ms += rng.Range(100, 3000);
                    TokenCount(ms, rng, totals, last);
                    Emit();
                    Stats.Count("reEmittedTokenCounts");
                }

                if (!final)
                {
                    ms += rng.Range(100, 20_000);
                    Head(ms).Raw("\"response_item\",\"payload\":{\"type\":\"function_call_output\",\"call_id\":\""u8).Ascii(callId)
                        .Raw("\",\"output\":\"Exit code: 0\\nWall time: "u8).Long(rng.Range(1, 40)).Raw(".2 seconds\\nOutput:\\n"u8);
                    int size = ++outputs % 23 == 0 ? rng.Range(16_000, 48_000) : rng.Range(1200, 7000);
                    Stats.Count("toolOutputs");
                    if (rng.Chance(0.5))
                    {
                        _pools.Log.Append(_line, rng.Next(1 << 20), size);
                    }
                    else
                    {
                        _pools.Code.Append(_line, rng.Next(1 << 20), size, numbered: true);
                    }
                    _line.Raw("\"}}"u8);
                    Emit();
                    context += size / 4;
                }
            }
        }
        Stats.Files++;
        Stats.Bytes += written;
        Stats.FileSizes.Add(written);
    }

    private JsonLine Head(long ms) => _line.Raw("{\"timestamp\":\""u8).Timestamp(ms).Raw("\",\"type\":"u8);

    private void TurnContext(long ms, string cwd, string model) =>
        Head(ms).Raw("\"turn_context\",\"payload\":{\"cwd\":"u8).Quoted(cwd)
            .Raw(",\"approval_policy\":\"on-request\",\"sandbox_policy\":{\"mode\":\"workspace-write\",\"network_access\":false,\"exclude_tmpdir_env_var\":false,\"exclude_slash_tmp\":false},\"model\":\""u8)
            .Ascii(model).Raw("\",\"effort\":\"medium\",\"summary\":\"auto\"}}"u8);

    private void TokenCount(long ms, Rng rng, Counts total, Counts last)
    {
        Head(ms).Raw("\"event_msg\",\"payload\":{\"type\":\"token_count\",\"info\":{\"total_token_usage\":"u8);
        Usage(total);
        _line.Raw(",\"last_token_usage\":"u8);
        Usage(last);
        _line.Raw(",\"model_context_window\":272000},\"rate_limits\":"u8);
        RateLimits(rng);
        _line.Raw("}}"u8);
    }

    private void Usage(Counts c) =>
        _line.Raw("{\"input_tokens\":"u8).Long(c.Input).Raw(",\"cached_input_tokens\":"u8).Long(c.Cached)
            .Raw(",\"output_tokens\":"u8).Long(c.Output).Raw(",\"reasoning_output_tokens\":"u8).Long(c.Reasoning)
            .Raw(",\"total_tokens\":"u8).Long(c.Total).Byte((byte)'}');

    private void RateLimits(Rng rng) =>
        _line.Raw("{\"primary\":{\"used_percent\":"u8).Long(rng.Range(0, 99)).Raw(".0,\"window_minutes\":300,\"resets_in_seconds\":"u8)
            .Long(rng.Range(60, 18_000)).Raw("},\"secondary\":{\"used_percent\":"u8).Long(rng.Range(0, 60))
            .Raw(".0,\"window_minutes\":10080,\"resets_in_seconds\":"u8).Long(rng.Range(3600, 600_000)).Raw("}}"u8);
}
