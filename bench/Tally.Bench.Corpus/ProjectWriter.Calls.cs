namespace Tally.Bench.Corpus;

internal sealed partial class ProjectWriter
{
    private static readonly string[] BashCommands =
    [
        "npm test -- {p}", "dotnet build -c Release", "git status --short", "ls -la {d}", "pytest -x {p}",
        "cargo test --release", "git log --oneline -20", "rg -n \"TODO|FIXME\" src", "git diff --stat", "make lint",
        "dotnet test --no-build --filter \"FullyQualifiedName~Ledger\"", "npm run build 2>&1 | tail -50",
    ];

    private static readonly string[] GrepPatterns = ["TODO", "cacheRead", "async function", "class \\w+Reader", "usage\\.", "ConfigureAwait", "import .* from", "def test_"];

    /// <summary>
    /// Writes one API response as Claude Code does: one row per content block, all with the
    /// same message id, request id and usage; only the last carries the stop reason.
    /// </summary>
    private Usage WriteAssistantCall(Session s, Transcript t, List<ToolCall> tools, bool final, ProgressTarget? mirror, string model)
    {
        string msgId = JsonLine.NewBase62(_rng, "msg_01", 22);
        string reqId = JsonLine.NewBase62(_rng, "req_011C", 20);

        bool thinking = _rng.Chance(final ? 0.3 : 0.45);
        bool text = final || tools.Count == 0 || _rng.Chance(0.55);
        // Newer versions write empty thinking text with only the signature.
        int thinkingBytes = thinking && _rng.Chance(0.5) ? _rng.Range(150, 1_500) : 0;
        int signatureBytes = _rng.Range(200, 900);
        int textBytes = final ? _rng.Range(150, 1_500) : _rng.Range(30, 400);
        int thinkingFirst = _rng.Next(1 << 20), textFirst = _rng.Next(1 << 20), signatureFirst = _rng.Next(1 << 20);

        long output = (thinkingBytes + (text ? textBytes : 0)) / 4 + tools.Count * _rng.Range(30, 250) + _rng.Range(1, 40);
        if (thinking && thinkingBytes == 0)
        {
            output += _rng.Range(40, 700);
        }
        var usage = NextUsage(s, t, output);
        string stopReason = tools.Count > 0 ? "tool_use" : _rng.Chance(0.005) ? "max_tokens" : "end_turn";

        int blocks = (thinking ? 1 : 0) + (text ? 1 : 0) + tools.Count;
        s.Clock += _rng.RangeLong(1_500, 40_000);
        for (int k = 0; k < blocks; k++)
        {
            bool last = k == blocks - 1;
            _msg.Clear();
            _msg.Raw("{\"model\":\""u8).Ascii(model).Raw("\",\"id\":\""u8).Ascii(msgId);
            _msg.Raw("\",\"type\":\"message\",\"role\":\"assistant\",\"content\":["u8);
            int b = k;
            if (thinking && b-- == 0)
            {
                _msg.Raw("{\"type\":\"thinking\",\"thinking\":\""u8);
                if (thinkingBytes > 0)
                {
                    _pools.Prose.AppendWords(_msg, thinkingFirst, thinkingBytes, joinWithNewline: true);
                }
                _msg.Raw("\",\"signature\":\""u8);
                for (int i = 0; i * 64 < signatureBytes; i++)
                {
                    _msg.Raw(_pools.Base64.Line(signatureFirst + i));
                }
                _msg.Raw("\"}"u8);
            }
            else if (text && b-- == 0)
            {
                _msg.Raw("{\"type\":\"text\",\"text\":\""u8);
                _pools.Prose.AppendWords(_msg, textFirst, textBytes, joinWithNewline: true);
                _msg.Raw("\"}"u8);
            }
            else
            {
                ToolUseBlock(tools[b]);
            }
            _msg.Raw("],\"stop_reason\":"u8);
            if (last)
            {
                _msg.Byte((byte)'"').Ascii(stopReason).Byte((byte)'"');
            }
            else
            {
                _msg.Raw("null"u8);
            }
            _msg.Raw(",\"stop_sequence\":null,\"usage\":"u8);
            WriteUsage(_msg, usage, s.Ttl != CacheTtl.Legacy);
            _msg.Byte((byte)'}');

            _line.Clear();
            Header(s, t, t.LastUuid);
            _line.Raw(",\"message\":"u8).Raw(_msg.Span);
            _line.Raw(",\"requestId\":\""u8).Ascii(reqId).Raw("\",\"type\":\"assistant\""u8);
            string uuid = Stamp(s);
            // Every row but the last is a streamed duplicate: breaking it loses no call.
            Close(t, uuid, breakable: !last);
            Stats.AssistantRows++;
            s.Clock += _rng.RangeLong(50, 1_500);

            if (mirror is not null && _rng.Chance(0.5))
            {
                ProgressRow(mirror, reqId, uuid, s.Clock - 1);
                Stats.ProgressMirrorsOfCalls++;
            }
        }
        if (blocks > 1)
        {
            Stats.StreamedCalls++;
        }
        Truth.AddCall(model, usage.Input, usage.CacheRead, usage.Write5m, usage.Write1h, usage.Output);
        return usage;
    }

    /// <summary>
    /// Usage that behaves like a real conversation: each call reads the cached prefix and
    /// writes what was appended since the previous call; context grows until compaction.
    /// </summary>
    private Usage NextUsage(Session s, Transcript t, long output)
    {
        long input = _rng.Chance(0.06) ? _rng.Range(20, 3_000) : _rng.Range(1, 9);
        long read, write;
        if (t.Cold)
        {
            long all = t.ContextTokens + t.PendingTokens;
            // The system prompt is often still cached from another session.
            read = _rng.Chance(0.6) ? Math.Min(all, _rng.Range(9_000, 12_000)) : 0;
            write = all - read;
        }
        else if (_rng.Chance(0.03))
        {
            read = 0; // the cache expired between calls
            write = t.ContextTokens + t.PendingTokens;
        }
        else
        {
            read = t.ContextTokens;
            write = t.PendingTokens;
        }
        t.ContextTokens = read + write;
        t.PendingTokens = output;
        t.Cold = false;

        long w5, w1;
        switch (s.Ttl)
        {
            case CacheTtl.OneHour when _rng.Chance(0.85):
                (w5, w1) = (0, write);
                break;
            case CacheTtl.OneHour:
                w1 = write * _rng.Range(10, 90) / 100;
                w5 = write - w1;
                break;
            default:
                (w5, w1) = (write, 0);
                break;
        }
        return new Usage(input, read, w5, w1, output, s.Ttl != CacheTtl.Legacy);
    }

    private static void WriteUsage(JsonLine l, Usage u, bool split)
    {
        l.Raw("{\"input_tokens\":"u8).Long(u.Input);
        l.Raw(",\"cache_creation_input_tokens\":"u8).Long(u.CacheWrite);
        l.Raw(",\"cache_read_input_tokens\":"u8).Long(u.CacheRead);
        if (split)
        {
            l.Raw(",\"cache_creation\":{\"ephemeral_5m_input_tokens\":"u8).Long(u.Write5m);
            l.Raw(",\"ephemeral_1h_input_tokens\":"u8).Long(u.Write1h).Byte((byte)'}');
        }
        l.Raw(",\"output_tokens\":"u8).Long(u.Output).Raw(",\"service_tier\":\"standard\"}"u8);
    }

    private void ToolUseBlock(ToolCall tool)
    {
        _msg.Raw("{\"type\":\"tool_use\",\"id\":\""u8).Ascii(tool.Id).Raw("\",\"name\":\""u8);
        switch (tool.Kind)
        {
            case ToolKind.Bash:
                _msg.Raw("Bash\",\"input\":{\"command\":"u8).Quoted(BashCommand(tool));
                _msg.Raw(",\"description\":"u8).Quoted(TextPools.Title(new Rng((ulong)tool.A, 7)));
                break;
            case ToolKind.Read:
                _msg.Raw("Read\",\"input\":{\"file_path\":\""u8).Ascii(FullPath(tool.Path)).Byte((byte)'"');
                if (tool.C > 4)
                {
                    _msg.Raw(",\"offset\":1,\"limit\":2000"u8);
                }
                break;
            case ToolKind.Edit:
                _msg.Raw("Edit\",\"input\":{\"file_path\":\""u8).Ascii(FullPath(tool.Path));
                _msg.Raw("\",\"old_string\":\""u8);
                AppendJoined(_msg, tool.A, tool.C);
                _msg.Raw("\",\"new_string\":\""u8);
                AppendJoined(_msg, tool.B, tool.C + 1);
                _msg.Byte((byte)'"');
                break;
            case ToolKind.Grep:
                _msg.Raw("Grep\",\"input\":{\"pattern\":"u8).Quoted(GrepPatterns[tool.A % GrepPatterns.Length]);
                _msg.Raw(",\"path\":\"src\",\"output_mode\":\"content\",\"-n\":true"u8);
                break;
            case ToolKind.Task:
                _msg.Raw("Task\",\"input\":{\"description\":"u8).Quoted(tool.Text ?? "");
                _msg.Raw(",\"prompt\":\""u8);
                _pools.Prose.AppendWords(_msg, tool.A, tool.B);
                _msg.Raw("\",\"subagent_type\":\""u8).Raw(tool.C == 0 ? "general-purpose"u8 : "Explore"u8).Byte((byte)'"');
                break;
        }
        _msg.Raw("}}"u8);
    }

    private string BashCommand(ToolCall tool)
    {
        string rel = _paths[tool.Path % _paths.Length];
        return BashCommands[tool.A % BashCommands.Length]
            .Replace("{p}", rel, StringComparison.Ordinal)
            .Replace("{d}", Path.GetDirectoryName(rel) ?? ".", StringComparison.Ordinal);
    }

    private void AppendJoined(JsonLine l, int first, int count)
    {
        for (int i = 0; i < count; i++)
        {
            if (i > 0)
            {
                l.Raw("\\n"u8);
            }
            l.Raw(_pools.Code.Line(first + i));
        }
    }

    /// <summary>
    /// How much output a tool returns, after the real-world profile: mostly 1.8–4.2 KB, every
    /// 37th result 8–16 KB, every 997th 48–80 KB (less when the file is nearly full).
    /// </summary>
    private int PayloadSize(Transcript t)
    {
        long c = ++_toolResults;
        int size;
        int kind = 0;
        if (c % 997 == 0)
        {
            size = _rng.Range(48_000, 80_000);
            kind = 2;
        }
        else if (c % 37 == 0)
        {
            size = _rng.Range(8_000, 16_000);
            kind = 1;
        }
        else
        {
            size = _rng.Range(1_800, 4_200);
        }
        long room = t.Remaining;
        if (room < 2L * size)
        {
            return (int)Math.Clamp(room / 2, 300, size);
        }
        if (kind == 1)
        {
            Stats.LargeToolResults++;
        }
        else if (kind == 2)
        {
            Stats.HugeToolResults++;
        }
        return size;
    }

    /// <summary>
    /// The user row carrying a tool's result, plus the <c>toolUseResult</c> object in which
    /// Claude Code duplicates the payload (stdout, file content, original file).
    /// </summary>
    private void ToolResultRow(Session s, Transcript t, ToolCall tool, SubagentResult? sub)
    {
        _line.Clear();
        Header(s, t, t.LastUuid);
        _line.Raw(",\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":[{\"tool_use_id\":\""u8).Ascii(tool.Id);
        _line.Raw("\",\"type\":\"tool_result\",\"content\":"u8);
        string uuid;
        int seen; // bytes of output the model reads
        switch (tool.Kind)
        {
            case ToolKind.Bash:
            {
                int size = PayloadSize(t);
                bool error = _rng.Chance(0.1);
                bool truncated = !error && _rng.Chance(1 / 150.0);
                if (truncated)
                {
                    size = Math.Max(size, 30_000);
                    Stats.TruncatedBashOutputs++;
                }
                _line.Byte((byte)'"');
                int start = _line.Length;
                if (error)
                {
                    _line.Raw("Exit code 1\\n"u8);
                }
                _pools.Log.Append(_line, tool.B, size);
                if (truncated)
                {
                    _line.Raw("\\n\\n... ["u8).Long(_rng.Range(200, 20_000)).Raw(" lines truncated] ..."u8);
                }
                int length = _line.Length - start;
                seen = length;
                _line.Raw(error ? "\",\"is_error\":true}]}"u8 : "\",\"is_error\":false}]}"u8);
                uuid = Stamp(s);
                if (error)
                {
                    _line.Raw(",\"toolUseResult\":\"Error: "u8).Repeat(start, length).Byte((byte)'"');
                }
                else
                {
                    _line.Raw(",\"toolUseResult\":{\"stdout\":\""u8).Repeat(start, length);
                    _line.Raw("\",\"stderr\":\"\",\"interrupted\":false,\"isImage\":false}"u8);
                }
                break;
            }
            case ToolKind.Read:
            {
                int size = PayloadSize(t);
                _line.Byte((byte)'"');
                int start = _line.Length;
                int lines = _pools.Code.Append(_line, tool.B, size, numbered: true);
                seen = _line.Length - start;
                _line.Raw("\"}]}"u8);
                uuid = Stamp(s);
                _line.Raw(",\"toolUseResult\":{\"type\":\"text\",\"file\":{\"filePath\":\""u8).Ascii(FullPath(tool.Path));
                _line.Raw("\",\"content\":\""u8);
                AppendJoined(_line, tool.B, lines);
                _line.Raw("\",\"numLines\":"u8).Long(lines).Raw(",\"startLine\":1,\"totalLines\":"u8).Long(lines + _rng.Range(0, 400)).Raw("}}"u8);
                break;
            }
            case ToolKind.Edit:
            {
                int size = PayloadSize(t);
                _line.Raw("\"The file "u8).Ascii(FullPath(tool.Path));
                _line.Raw(" has been updated. Here's the result of running `cat -n` on a snippet of the edited file:\\n"u8);
                int at = _rng.Range(1, 400);
                int start = _line.Length;
                _pools.Code.Append(_line, tool.B, _rng.Range(300, 900), numbered: true, firstNumber: at);
                seen = _line.Length - start + 100;
                _line.Raw("\"}]}"u8);
                uuid = Stamp(s);
                _line.Raw(",\"toolUseResult\":{\"filePath\":\""u8).Ascii(FullPath(tool.Path));
                _line.Raw("\",\"oldString\":\""u8);
                AppendJoined(_line, tool.A, tool.C);
                _line.Raw("\",\"newString\":\""u8);
                AppendJoined(_line, tool.B, tool.C + 1);
                _line.Raw("\",\"originalFile\":\""u8);
                _pools.Code.Append(_line, tool.A + 7, size);
                _line.Raw("\",\"structuredPatch\":[{\"oldStart\":"u8).Long(at).Raw(",\"oldLines\":"u8).Long(tool.C + 6);
                _line.Raw(",\"newStart\":"u8).Long(at).Raw(",\"newLines\":"u8).Long(tool.C + 7).Raw(",\"lines\":["u8);
                for (int i = 0; i < tool.C; i++)
                {
                    _line.Raw("\"-"u8).Raw(_pools.Code.Line(tool.A + i)).Raw("\","u8);
                }
                for (int i = 0; i <= tool.C; i++)
                {
                    _line.Raw(i == 0 ? "\"+"u8 : ",\"+"u8).Raw(_pools.Code.Line(tool.B + i)).Byte((byte)'"');
                }
                _line.Raw("]}],\"userModified\":false,\"replaceAll\":false}"u8);
                break;
            }
            case ToolKind.Grep:
            {
                int size = PayloadSize(t);
                _line.Byte((byte)'"');
                int start = _line.Length;
                int lines = 0;
                int files = 0;
                while (_line.Length - start < size)
                {
                    if (lines % 5 == 0)
                    {
                        files++;
                    }
                    _line.Ascii(_paths[(tool.Path + files) % _paths.Length]).Byte((byte)':').Long(_rng.Range(1, 900)).Byte((byte)':');
                    _line.Raw(_pools.Code.Line(tool.B + lines)).Raw("\\n"u8);
                    lines++;
                }
                int length = _line.Length - start;
                seen = length;
                _line.Raw("\"}]}"u8);
                uuid = Stamp(s);
                _line.Raw(",\"toolUseResult\":{\"mode\":\"content\",\"numFiles\":"u8).Long(files);
                _line.Raw(",\"filenames\":[],\"content\":\""u8).Repeat(start, length);
                _line.Raw("\",\"numLines\":"u8).Long(lines).Byte((byte)'}');
                break;
            }
            default:
            {
                var r = sub ?? throw new InvalidOperationException("A Task result needs its subagent.");
                _line.Raw("[{\"type\":\"text\",\"text\":\""u8);
                int start = _line.Length;
                _pools.Prose.AppendWords(_line, r.ReportFirst, r.ReportBytes, joinWithNewline: true);
                int length = _line.Length - start;
                seen = length;
                _line.Raw("\"}]}]}"u8);
                uuid = Stamp(s);
                // The subagent's totals ride along in a user row; they are not a billed call.
                _line.Raw(",\"toolUseResult\":{\"status\":\"completed\",\"prompt\":\""u8);
                _pools.Prose.AppendWords(_line, tool.A, tool.B);
                _line.Raw("\",\"agentId\":\""u8).Ascii(r.AgentId);
                _line.Raw("\",\"content\":[{\"type\":\"text\",\"text\":\""u8).Repeat(start, length);
                _line.Raw("\"}],\"totalDurationMs\":"u8).Long(r.DurationMs);
                _line.Raw(",\"totalTokens\":"u8).Long(r.TotalTokens).Raw(",\"totalToolUseCount\":"u8).Long(r.ToolUses);
                _line.Raw(",\"usage\":"u8);
                WriteUsage(_line, r.LastUsage, s.Ttl != CacheTtl.Legacy);
                _line.Byte((byte)'}');
                break;
            }
        }
        Close(t, uuid);
        Stats.UserRows++;
        Stats.ToolResultRows++;
        t.PendingTokens += seen / 4;
    }

    /// <summary>
    /// Claude Code 2.1 mirrors a running subagent's rows into the parent transcript as
    /// <c>progress</c> rows whose <c>data.message</c> is the full nested assistant row, with
    /// the same message id as in the subagent's own file.
    /// </summary>
    private void ProgressRow(ProgressTarget m, string reqId, string innerUuid, long innerTs)
    {
        var s = m.Session;
        var main = s.Main;
        _line.Clear();
        Header(s, main, main.LastUuid);
        _line.Raw(",\"type\":\"progress\",\"data\":{\"message\":{\"type\":\"assistant\",\"message\":"u8).Raw(_msg.Span);
        _line.Raw(",\"requestId\":\""u8).Ascii(reqId).Raw("\",\"uuid\":\""u8).Ascii(innerUuid);
        _line.Raw("\",\"timestamp\":\""u8).Timestamp(innerTs);
        _line.Raw("\"},\"normalizedMessages\":[],\"type\":\"agent_progress\",\"prompt\":\"\",\"agentId\":\""u8).Ascii(m.AgentId);
        _line.Raw("\"},\"toolUseID\":\""u8).Ascii(JsonLine.NewBase62(_rng, "agent_msg_01", 22));
        _line.Raw("\",\"parentToolUseID\":\""u8).Ascii(m.TaskToolId).Byte((byte)'"');
        EndRow(s, main);
        Stats.ProgressRows++;
    }
}
