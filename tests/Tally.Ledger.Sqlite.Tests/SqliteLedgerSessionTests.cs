using Tally.Ledger.Sqlite.Tests.TestSupport;
using Tally.Model;
using static Tally.Ledger.Sqlite.Tests.TestSupport.TestRecords;

namespace Tally.Ledger.Sqlite.Tests;

public sealed class SqliteLedgerSessionTests : IDisposable
{
    private readonly TempLedgerDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Session_spans_give_first_and_last_call_and_the_project_per_source_and_session()
    {
        await using var ledger = await _directory.OpenAsync();
        await ledger.CommitCallsAsync(
            Call("a1", "s1", T0.AddMinutes(5), projectKey: "github.com/me/tally"),
            Call("a2", "s1", T0),
            Call("a3", "s1", T0.AddMinutes(9)),
            Call("b1", "s2", T0.AddHours(1), project: null),
            Call("c1", "s1", T0.AddDays(1), source: SourceNames.Codex));

        var spans = (await ledger.GetSessionSpansAsync(CallFilter.All)).OrderBy(s => s.Source).ThenBy(s => s.SessionId).ToList();
        var since = await ledger.GetSessionSpansAsync(new CallFilter(Since: T0.AddMinutes(6)));

        Assert.Equal(3, spans.Count);
        Assert.Equal(new SessionSpan(SourceNames.ClaudeCode, "s1", "github.com/me/tally", T0, T0.AddMinutes(9)), spans[0]);
        Assert.Equal(new SessionSpan(SourceNames.ClaudeCode, "s2", null, T0.AddHours(1), T0.AddHours(1)), spans[1]);
        Assert.Equal(new SessionSpan(SourceNames.Codex, "s1", "/home/me/src/tally", T0.AddDays(1), T0.AddDays(1)), spans[2]);
        Assert.Equal(T0.AddMinutes(9), since.Single(s => s.Source == SourceNames.ClaudeCode && s.SessionId == "s1").First);
    }

    [Fact]
    public async Task A_version_1_ledger_migrates_forward_keeping_its_calls_and_gains_parent_sessions()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_directory.LedgerPath)!);
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_directory.LedgerPath};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = SqliteSchema.Migrations[0] + """
                ;
                PRAGMA user_version = 1;
                INSERT INTO calls (source, call_key, key_kind, session_id, ts_ms, model, stop_reason, is_sidechain, completeness, input)
                VALUES ('claude-code', 'msg_old', 0, 'old-session', 0, 'claude-sonnet-4-5', 1, 0, 0, 42);
                """;
            command.ExecuteNonQuery();
        }

        await using var ledger = await _directory.OpenAsync();
        await ledger.CommitCallsAsync(Call("child-1", "child") with { ParentSessionId = "parent" });
        var state = await ledger.GetStatisticsAsync();
        var spans = await ledger.GetSessionSpansAsync(CallFilter.All);

        Assert.Equal(2, state.SchemaVersion);
        Assert.Equal(2, state.CallsBySource[SourceNames.ClaudeCode]);
        Assert.Equal(42L, _directory.Scalar("SELECT input FROM calls WHERE call_key = 'msg_old'"));
        Assert.Equal("parent", spans.Single(s => s.SessionId == "child").ParentSessionId);
        Assert.Null(spans.Single(s => s.SessionId == "old-session").ParentSessionId);
    }

    [Fact]
    public async Task Forgetting_sources_deletes_their_calls_tool_results_and_cursors_and_keeps_the_rest()
    {
        await using var ledger = await _directory.OpenAsync();
        var batch = Batch(Call("a1"), Call("e1", source: SourceNames.Events), Call("x1", source: SourceNames.Codex));
        batch.ToolResults.Add(new ToolResult { Source = SourceNames.ClaudeCode, ToolUseId = "toolu_1", SessionId = "session-a" });
        batch.Cursors.Add(Cursor("/logs/a.jsonl", 100));
        batch.Cursors.Add(Cursor("/events/e.jsonl", 50, SourceNames.Events));
        await ledger.CommitAsync(batch);

        await ledger.ForgetSourcesAsync([SourceNames.ClaudeCode, SourceNames.Codex]);

        var state = await ledger.GetStatisticsAsync();
        Assert.Equal(new Dictionary<string, long> { [SourceNames.Events] = 1 }, state.CallsBySource);
        Assert.Equal(0, state.ToolResults);
        Assert.Empty(await ledger.GetCursorsAsync(SourceNames.ClaudeCode));
        Assert.Single(await ledger.GetCursorsAsync(SourceNames.Events));
    }
}
