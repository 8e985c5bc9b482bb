using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Tally.Cli.Tests;

/// <summary>
/// A process killed in the middle of an ingest must leave a ledger from which a rerun reaches
/// exactly the right totals: nothing lost, nothing counted twice.
/// </summary>
public sealed class CrashRecoveryTests : IDisposable
{
    private const int Sessions = 200;
    private const int CallsPerSession = 400;
    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Killing_an_ingest_after_its_first_commit_and_rerunning_gives_exact_totals()
    {
        WriteCorpus();
        using (var warmUp = new SqliteConnection("Data Source=:memory:"))
        {
            warmUp.Open(); // load SQLite in this process first, so polling starts at once
        }

        using (var victim = _cli.Start("ingest"))
        {
            _ = victim.StandardOutput.ReadToEndAsync();
            _ = victim.StandardError.ReadToEndAsync();

            // Kill once the first batch is visible, so the ledger holds part of the corpus.
            var stopwatch = Stopwatch.StartNew();
            while (!victim.HasExited && _cli.CommittedCalls() == 0 && stopwatch.Elapsed < TimeSpan.FromMinutes(1))
            {
                await Task.Delay(5);
            }

            if (!victim.HasExited)
            {
                victim.Kill(entireProcessTree: true);
            }

            await victim.WaitForExitAsync();
        }

        var partial = _cli.CommittedCalls();
        Assert.InRange(partial, 1, Sessions * CallsPerSession - 1); // the kill did land mid-ingest
        var rerun = await _cli.JsonAsync("ingest");
        var summary = await _cli.JsonAsync("summary");

        var totals = summary.GetProperty("totals");
        Assert.Equal(Sessions * CallsPerSession, totals.GetProperty("calls").GetInt64());
        Assert.Equal(Sessions * CallsPerSession, partial + rerun.GetProperty("callsAdded").GetInt64());
        var tokens = totals.GetProperty("tokens");
        Assert.Equal(Sessions * CallsPerSession * 3L, tokens.GetProperty("input").GetInt64());
        Assert.Equal(Sessions * (long)Enumerable.Range(0, CallsPerSession).Sum(), tokens.GetProperty("output").GetInt64());
    }

    /// <summary>Sessions of finished calls, each with a tool result between calls, about 40 MB in all.</summary>
    private void WriteCorpus()
    {
        var padding = new string('x', 400);
        for (var s = 0; s < Sessions; s++)
        {
            var session = $"{s:00000000}-0000-4000-8000-000000000000";
            var folder = Path.Combine(_cli.ClaudeProjects, "-work-crash");
            Directory.CreateDirectory(folder);
            var text = new StringBuilder();
            for (var c = 0; c < CallsPerSession; c++)
            {
                var id = $"msg_{s}_{c}";
                var time = new DateTime(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc).AddMinutes(s * CallsPerSession + c).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
                text.Append(JsonSerializer.Serialize(new
                {
                    parentUuid = (string?)null,
                    isSidechain = false,
                    cwd = "/work/crash",
                    sessionId = session,
                    message = new
                    {
                        model = "claude-sonnet-4-5",
                        id,
                        type = "message",
                        role = "assistant",
                        content = new[] { new { type = "tool_use", id = "toolu_" + id, name = "Read", input = new { file_path = "/work/crash/a.cs" } } },
                        stop_reason = "tool_use",
                        usage = new { input_tokens = 3, cache_read_input_tokens = 100, output_tokens = c },
                    },
                    requestId = "req_" + id,
                    type = "assistant",
                    uuid = "a" + id,
                    timestamp = time,
                })).Append('\n');
                text.Append(JsonSerializer.Serialize(new
                {
                    parentUuid = "a" + id,
                    isSidechain = false,
                    cwd = "/work/crash",
                    sessionId = session,
                    type = "user",
                    message = new { role = "user", content = new[] { new { type = "tool_result", tool_use_id = "toolu_" + id, content = padding } } },
                    uuid = "u" + id,
                    timestamp = time,
                })).Append('\n');
            }

            File.WriteAllText(Path.Combine(folder, session + ".jsonl"), text.ToString());
        }
    }
}
