using Tally.Ledger.Sqlite.Tests.TestSupport;
using Tally.Model;
using static Tally.Ledger.Contract.ContractRecords;

namespace Tally.Ledger.Sqlite.Tests;

/// <summary>What the .NET SDK records beside usage: error type, tags and a run's turn count.</summary>
public sealed class SqliteLedgerSdkFieldsTests : IDisposable
{
    private readonly TempLedgerDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Error_type_tags_and_run_turns_are_stored_and_absent_ones_stay_null()
    {
        await using (var ledger = await _directory.OpenAsync())
        {
            await ledger.CommitCallsAsync(
                Call("failed", source: SourceNames.Sdk, usage: TokenUsage.None) with
                {
                    ErrorType = "System.Net.Http.HttpRequestException",
                    Tags = new Dictionary<string, string> { ["team"] = "search", ["env"] = "prod" },
                },
                Call("run-1/claude-sonnet-4-5", source: SourceNames.Sdk) with { RunTurns = 7 },
                Call("plain", source: SourceNames.Sdk));
        }

        var rows = _directory.Query("SELECT call_key, error_type, tags, run_turns FROM calls ORDER BY call_key");

        Assert.Equal(["failed", "System.Net.Http.HttpRequestException", """{"env":"prod","team":"search"}""", null], rows[0]);
        Assert.Equal(["plain", null, null, null], rows[1]);
        Assert.Equal(["run-1/claude-sonnet-4-5", null, null, 7L], rows[2]);
    }
}
