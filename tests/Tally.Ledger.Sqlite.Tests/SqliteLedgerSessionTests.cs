using Tally.Ledger.Sqlite.Tests.TestSupport;
using Tally.Model;
using static Tally.Ledger.Contract.ContractRecords;

namespace Tally.Ledger.Sqlite.Tests;

public sealed class SqliteLedgerSessionTests : IDisposable
{
    private readonly TempLedgerDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

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

        Assert.Equal(SqliteSchema.LatestVersion, state.SchemaVersion);
        Assert.Equal(2, state.CallsBySource[SourceNames.ClaudeCode]);
        Assert.Equal(42L, _directory.Scalar("SELECT input FROM calls WHERE call_key = 'msg_old'"));
        Assert.Equal("parent", spans.Single(s => s.SessionId == "child").ParentSessionId);
        Assert.Null(spans.Single(s => s.SessionId == "old-session").ParentSessionId);
    }
}
