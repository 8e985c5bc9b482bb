using Tally.Ledger.Contract;
using Tally.Ledger.Postgres.Tests.TestSupport;

namespace Tally.Ledger.Postgres.Tests;

/// <summary>The shared ledger contract, against a fresh database on a real PostgreSQL server for each test.</summary>
[PostgresRequired]
public sealed class PostgresLedgerContractTests : LedgerContractTests
{
    private string _url = "";

    protected override int LatestSchemaVersion => PostgresSchema.LatestVersion;

    protected override async Task<ILedger> CreateEmptyLedgerAsync()
    {
        _url = await (await PostgresServer.InstanceAsync()).CreateDatabaseAsync();
        return await OpenSameLedgerAsync();
    }

    protected override async Task<ILedger> OpenSameLedgerAsync() =>
        await PostgresLedger.OpenAsync(_url, new PostgresLedgerOptions { User = "tester", Host = "test-host" });
}
