using System.Globalization;

namespace Tally.Bench.Corpus;

/// <summary>
/// Writes OpenCode's legacy file storage under <c>HOME/.local/share/opencode/storage/</c>:
/// <c>project/&lt;projectID&gt;.json</c>, <c>session/&lt;projectID&gt;/&lt;sessionID&gt;.json</c>,
/// <c>message/&lt;sessionID&gt;/&lt;msgID&gt;.json</c> and <c>part/&lt;msgID&gt;/&lt;partID&gt;.json</c>, each a small
/// pretty-printed JSON document (two-space indent, as <c>JSON.stringify(x, null, 2)</c> writes it).
/// </summary>
/// <remarks>
/// Every assistant message with a non-zero count is one call; <c>tokens.input</c> is already fresh input.
/// Trap: about one assistant message in 300 is still at its initial all-zero counts (not a call).
/// </remarks>
internal sealed class OpenCodeWriter
{
    public const string Source = "opencode";
    private const long Day = 86_400_000L;
    private const int Chunks = 48;

    private static readonly (string Provider, string Model, double PerMTokIn, double PerMTokOut)[] Models =
    [
        ("anthropic", "claude-sonnet-4-5", 3.0, 15.0), ("openai", "gpt-5.1", 1.25, 10.0), ("opencode", "grok-code", 0, 0),
    ];
    private static readonly int[] ModelWeights = [60, 25, 15];
    private static readonly string[] Tools = ["bash", "read", "edit", "grep", "glob", "write", "todowrite"];

    private readonly TextPools _pools;
    private readonly string _storage;
    private readonly JsonLine _doc = new();
    private readonly Rng _rng;
    private long _idCounter;

    public GroundTruth Truth { get; } = new();
    public SourceStats Stats { get; } = new(Source);

    private OpenCodeWriter(TextPools pools, string storage, Rng rng)
    {
        _pools = pools;
        _storage = storage;
        _rng = rng;
    }

    public static (GroundTruth Truth, SourceStats Stats) Generate(TextPools pools, long bytes, ulong seed, string home, int threads)
    {
        string storage = Path.Combine(home, ".local", "share", "opencode", "storage");
        Directory.CreateDirectory(storage);
        var rng = new Rng(seed, 0x6F70656E);
        // A handful of projects (one per git worktree), shared by every chunk.
        var projects = new List<(string Id, string Dir)>();
        for (int p = 0; p < 6; p++)
        {
            string dir = "/home/dev/src/" + CorpusPlan.ProjectNames[p];
            string id = p == 5 ? "global" : JsonLine.NewHex(rng, 40);
            projects.Add((id, dir));
            if (id != "global")
            {
                Directory.CreateDirectory(Path.Combine(storage, "project"));
                File.WriteAllText(Path.Combine(storage, "project", id + ".json"),
                    $"{{\n  \"id\": \"{id}\",\n  \"worktree\": \"{dir}\",\n  \"vcs\": \"git\",\n  \"time\": {{\n    \"created\": 1754006400000\n  }}\n}}");
            }
        }
        int chunks = (int)Math.Clamp(bytes / 400_000, 1, Chunks);
        var seeds = Enumerable.Range(0, chunks).Select(_ => rng.NextU64()).ToArray();
        var writers = new OpenCodeWriter[chunks];
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads }, c =>
        {
            var w = new OpenCodeWriter(pools, storage, new Rng(seeds[c], (ulong)c));
            w.Run(bytes / chunks, projects);
            writers[c] = w;
        });
        var truth = new GroundTruth();
        var stats = new SourceStats(Source);
        foreach (var w in writers)
        {
            truth.Add(w.Truth);
            stats.Add(w.Stats);
        }
        return (truth, stats);
    }

    private void Run(long target, List<(string Id, string Dir)> projects)
    {
        long windowStart = new DateTimeOffset(2026, 8, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
        while (Stats.Bytes < target)
        {
            var (projectId, dir) = projects[_rng.Pick([40, 25, 15, 10, 6, 4])];
            long ms = windowStart + _rng.RangeLong(0, 57 * Day);
            long sessionTarget = Math.Min(target - Stats.Bytes + 2000, (long)(4_000 * Math.Pow(2, _rng.NextDouble() * 7)));
            WriteSession(projectId, dir, ms, sessionTarget);
        }
    }

    private string NewId(string prefix, long ms)
    {
        ulong stamp = ((ulong)ms << 12) + (ulong)(_idCounter++ & 0xFFF);
        return prefix + (stamp & 0xFFFFFFFFFFFF).ToString("x12", CultureInfo.InvariantCulture) + JsonLine.NewBase62(_rng, "", 14);
    }

    private void WriteSession(string projectId, string dir, long ms, long target)
    {
        long start = Stats.Bytes;
        string ses = NewId("ses_", ms);
        var (provider, model, pIn, pOut) = Models[_rng.Pick(ModelWeights)];
        string messageDir = Path.Combine(_storage, "message", ses);
        Directory.CreateDirectory(messageDir);
        long created = ms;
        long context = _rng.Range(9_000, 14_000);
        bool first = true;
        string title = TextPools.Title(_rng);

        while (Stats.Bytes - start < target)
        {
            ms += _rng.RangeLong(15_000, 600_000);
            // The user's prompt.
            string user = NewId("msg_", ms);
            _doc.Clear();
            _doc.Raw("{\n  \"id\": \""u8).Ascii(user).Raw("\",\n  \"sessionID\": \""u8).Ascii(ses)
                .Raw("\",\n  \"role\": \"user\",\n  \"time\": {\n    \"created\": "u8).Long(ms)
                .Raw("\n  },\n  \"agent\": \"build\",\n  \"model\": {\n    \"providerID\": \""u8).Ascii(provider)
                .Raw("\",\n    \"modelID\": \""u8).Ascii(model).Raw("\"\n  }\n}"u8);
            WriteFile(Path.Combine(messageDir, user + ".json"), "messageFiles");
            string partDir = PartDir(user);
            Part(partDir, ses, user, ms, "text", _rng.Range(60, 700));
            context += 200;

            int steps = _rng.Range(1, 5);
            string parent = user;
            for (int s = 0; s < steps; s++)
            {
                bool final = s == steps - 1;
                ms += _rng.Range(800, 4000);
                string msg = NewId("msg_", ms);
                string pdir = PartDir(msg);
                long t0 = ms;
                PartHead(ses, msg, t0).Raw("\"step-start\",\n  \"snapshot\": \""u8).Ascii(JsonLine.NewHex(_rng, 40)).Raw("\"\n}"u8);
                WriteFile(Path.Combine(pdir, PartIdPending + ".json"), "partFiles");
                if (final || _rng.Chance(0.4))
                {
                    Part(pdir, ses, msg, ms, "text", final ? _rng.Range(200, 1800) : _rng.Range(60, 300));
                }
                int tools = final ? 0 : _rng.Range(1, 3);
                long toolBytes = 0;
                for (int k = 0; k < tools; k++)
                {
                    ms += _rng.Range(200, 8000);
                    toolBytes += ToolPart(pdir, ses, msg, ms, dir);
                }

                // Tokens: Anthropic reads the cached prefix and writes what was added; others report
                // fresh input with cache reads and no writes. Input is already net of cache.
                bool zero = _rng.Next(300) == 0;
                long input, output, reasoning, read, write;
                if (provider == "anthropic")
                {
                    input = _rng.Range(2, 12);
                    read = first && s == 0 ? 0 : context;
                    write = first && s == 0 ? context : _rng.Range(300, 4000) + toolBytes / 4;
                }
                else
                {
                    read = first && s == 0 ? 0 : context / 256 * 256;
                    input = _rng.Range(200, 3000) + toolBytes / 4;
                    write = 0;
                }
                reasoning = provider == "openai" && _rng.Chance(0.6) ? _rng.Range(1, 16) * 64 : 0;
                output = _rng.Range(40, 1500);
                context = read + write + input + output;
                if (context > 180_000)
                {
                    context = _rng.Range(15_000, 30_000);
                }
                double cost = (input + write * 1.25 + read * 0.1) * pIn / 1e6 + (output + reasoning) * pOut / 1e6;
                ms += _rng.Range(500, 20_000);
                string finish = final ? "stop" : "tool-calls";
                if (!zero)
                {
                    PartHead(ses, msg, ms).Raw("\"step-finish\",\n  \"reason\": \""u8).Ascii(finish)
                        .Raw("\",\n  \"snapshot\": \""u8).Ascii(JsonLine.NewHex(_rng, 40)).Raw("\",\n  \"cost\": "u8);
                    Cost(cost);
                    Tokens(input, output, reasoning, read, write, "  ");
                    _doc.Raw("\n}"u8);
                    WriteFile(Path.Combine(pdir, PartIdPending + ".json"), "partFiles");
                }

                _doc.Clear();
                _doc.Raw("{\n  \"id\": \""u8).Ascii(msg).Raw("\",\n  \"role\": \"assistant\",\n  \"sessionID\": \""u8).Ascii(ses)
                    .Raw("\",\n  \"mode\": \"build\",\n  \"path\": {\n    \"cwd\": \""u8).Ascii(dir).Raw("\",\n    \"root\": \""u8).Ascii(dir)
                    .Raw("\"\n  },\n  \"cost\": "u8);
                if (zero)
                {
                    _doc.Raw("0"u8);
                    Tokens(0, 0, 0, 0, 0, "  ");
                }
                else
                {
                    Cost(cost);
                    Tokens(input, output, reasoning, read, write, "  ");
                }
                _doc.Raw(",\n  \"modelID\": \""u8).Ascii(model).Raw("\",\n  \"providerID\": \""u8).Ascii(provider)
                    .Raw("\",\n  \"time\": {\n    \"created\": "u8).Long(t0);
                if (!zero)
                {
                    _doc.Raw(",\n    \"completed\": "u8).Long(ms);
                }
                _doc.Raw("\n  },\n  \"parentID\": \""u8).Ascii(parent).Byte((byte)'"');
                if (!zero)
                {
                    _doc.Raw(",\n  \"finish\": \""u8).Ascii(finish).Byte((byte)'"');
                }
                _doc.Raw("\n}"u8);
                WriteFile(Path.Combine(messageDir, msg + ".json"), "messageFiles");
                if (zero)
                {
                    Stats.Count("zeroTokenMessages");
                    break; // an interrupted turn
                }
                Stats.Count("assistantMessages");
                Truth.AddCall(model, input, read, write, 0, output + reasoning, reasoning);
            }
            first = false;
        }

        string sessionDir = Path.Combine(_storage, "session", projectId);
        Directory.CreateDirectory(sessionDir);
        _doc.Clear();
        _doc.Raw("{\n  \"id\": \""u8).Ascii(ses).Raw("\",\n  \"version\": \"0.15.8\",\n  \"projectID\": \""u8).Ascii(projectId)
            .Raw("\",\n  \"directory\": \""u8).Ascii(dir).Raw("\",\n  \"title\": "u8).Quoted(title)
            .Raw(",\n  \"time\": {\n    \"created\": "u8).Long(created).Raw(",\n    \"updated\": "u8).Long(ms).Raw("\n  }\n}"u8);
        WriteFile(Path.Combine(sessionDir, ses + ".json"), "sessionFiles");
    }

    private string PartDir(string msg)
    {
        string d = Path.Combine(_storage, "part", msg);
        Directory.CreateDirectory(d);
        return d;
    }

    private JsonLine PartHead(string ses, string msg, long ms)
    {
        _doc.Clear();
        return _doc.Raw("{\n  \"id\": \""u8).Ascii(PartIdPending = NewId("prt_", ms)).Raw("\",\n  \"sessionID\": \""u8).Ascii(ses)
            .Raw("\",\n  \"messageID\": \""u8).Ascii(msg).Raw("\",\n  \"type\": "u8);
    }

    private string PartIdPending = "";

    private void Part(string dir, string ses, string msg, long ms, string type, int bytes)
    {
        PartHead(ses, msg, ms).Byte((byte)'"').Ascii(type).Raw("\",\n  \"text\": \""u8);
        _pools.Prose.AppendWords(_doc, _rng.Next(1 << 20), bytes, joinWithNewline: true);
        _doc.Raw("\",\n  \"time\": {\n    \"start\": "u8).Long(ms).Raw(",\n    \"end\": "u8).Long(ms + _rng.Range(100, 9000)).Raw("\n  }\n}"u8);
        WriteFile(Path.Combine(dir, PartIdPending + ".json"), "partFiles");
    }

    private long ToolPart(string dir, string ses, string msg, long ms, string cwd)
    {
        string tool = Tools[_rng.Next(Tools.Length)];
        PartHead(ses, msg, ms).Raw("\"tool\",\n  \"callID\": \""u8).Ascii(JsonLine.NewBase62(_rng, "toolu_01", 22))
            .Raw("\",\n  \"tool\": \""u8).Ascii(tool).Raw("\",\n  \"state\": {\n    \"status\": \"completed\",\n    \"input\": {\n      "u8);
        string file = cwd + "/src/" + TextPools.Title(_rng).Split(' ')[0].ToLowerInvariant() + ".ts";
        if (tool == "bash")
        {
            _doc.Raw("\"command\": \"npm test\",\n      \"description\": \"Run the tests\"\n    },\n"u8);
        }
        else
        {
            _doc.Raw("\"filePath\": "u8).Quoted(file).Raw("\n    },\n"u8);
        }
        int size = _rng.Next(40) == 0 ? _rng.Range(8_000, 20_000) : _rng.Range(150, 2600);
        int start = _doc.Length;
        _doc.Raw("    \"output\": \""u8);
        if (tool is "read" or "edit" or "write")
        {
            _pools.Code.Append(_doc, _rng.Next(1 << 20), size, numbered: tool == "read");
        }
        else
        {
            _pools.Log.Append(_doc, _rng.Next(1 << 20), size);
        }
        long outBytes = _doc.Length - start;
        _doc.Raw("\",\n    \"title\": "u8).Quoted(tool == "bash" ? "npm test" : file)
            .Raw(",\n    \"metadata\": {\n      \"exit\": 0,\n      \"truncated\": false\n    },\n    \"time\": {\n      \"start\": "u8)
            .Long(ms).Raw(",\n      \"end\": "u8).Long(ms + _rng.Range(20, 6000)).Raw("\n    }\n  }\n}"u8);
        WriteFile(Path.Combine(dir, PartIdPending + ".json"), "partFiles");
        return outBytes;
    }

    private void Cost(double cost) => _doc.Ascii(Math.Round(cost, 6).ToString("0.######", CultureInfo.InvariantCulture));

    private void Tokens(long input, long output, long reasoning, long read, long write, string indent)
    {
        _doc.Raw(",\n  \"tokens\": {\n    \"input\": "u8).Long(input).Raw(",\n    \"output\": "u8).Long(output)
            .Raw(",\n    \"reasoning\": "u8).Long(reasoning).Raw(",\n    \"cache\": {\n      \"read\": "u8).Long(read)
            .Raw(",\n      \"write\": "u8).Long(write).Raw("\n    }\n  }"u8);
    }

    private void WriteFile(string path, string kind)
    {
        File.WriteAllBytes(path, _doc.Span);
        Stats.Files++;
        Stats.Bytes += _doc.Length;
        Stats.FileSizes.Add(_doc.Length);
        Stats.Count(kind);
        _doc.Clear();
    }
}
