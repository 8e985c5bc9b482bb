using System.Diagnostics;
using System.Text.Json;

namespace Tally.Cli.Tests;

/// <summary><c>tally ingest --watch</c>: follows the logs as they grow and stops cleanly on Ctrl-C.</summary>
public sealed class WatchEndToEndTests : IDisposable
{
    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Watch_picks_up_an_appended_call_and_stops_on_SIGINT_with_its_cursors_saved()
    {
        _cli.AddClaudeFixtures();
        var log = Path.Combine(_cli.ClaudeProjects, "-work-api", "22222222-2222-4222-8222-222222222222.jsonl");

        using var watcher = _cli.Start("ingest", "--watch", "--interval", "1");
        _ = watcher.StandardOutput.ReadToEndAsync();
        var stderr = watcher.StandardError.ReadToEndAsync();
        await WaitForCallsAsync(7);

        // Written in two pieces, as an agent appends: the half line must not be read as a record.
        var row = Row("msg_watch_1");
        File.AppendAllText(log, row[..40]);
        await Task.Delay(500);
        File.AppendAllText(log, row[40..] + "\n");
        await WaitForCallsAsync(8);

        using (var interrupt = Process.Start("kill", ["-INT", watcher.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await interrupt.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await watcher.WaitForExitAsync(timeout.Token);
        var again = await _cli.JsonAsync("ingest");

        Assert.Equal(0, watcher.ExitCode);
        Assert.Contains("Stopped; everything read is saved.", await stderr);
        Assert.DoesNotContain("22222222-2222-4222-8222-222222222222.jsonl:", await stderr); // the half line was never a bad line
        Assert.Equal(0, again.GetProperty("callsAdded").GetInt64());
    }

    private async Task WaitForCallsAsync(long calls)
    {
        var stopwatch = Stopwatch.StartNew();
        while (_cli.CommittedCalls() < calls)
        {
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(60), $"the watcher did not reach {calls} calls");
            await Task.Delay(100);
        }

        Assert.Equal(calls, _cli.CommittedCalls());
    }

    private static string Row(string messageId) => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["parentUuid"] = "b2",
        ["isSidechain"] = false,
        ["cwd"] = "/work/api",
        ["sessionId"] = "22222222-2222-4222-8222-222222222222",
        ["message"] = new Dictionary<string, object?>
        {
            ["model"] = "claude-sonnet-4-5-20250929",
            ["id"] = messageId,
            ["type"] = "message",
            ["role"] = "assistant",
            ["content"] = new[] { new Dictionary<string, object?> { ["type"] = "text", ["text"] = "watched" } },
            ["stop_reason"] = "end_turn",
            ["usage"] = new Dictionary<string, object?> { ["input_tokens"] = 1, ["output_tokens"] = 2 },
        },
        ["requestId"] = "req_" + messageId,
        ["type"] = "assistant",
        ["uuid"] = "w1",
        ["timestamp"] = "2026-11-22T08:00:00.000Z",
    });
}
