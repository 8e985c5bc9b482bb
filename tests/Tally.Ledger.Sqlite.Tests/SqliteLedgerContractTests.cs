using Tally.Ledger.Contract;
using Tally.Ledger.Sqlite.Tests.TestSupport;

namespace Tally.Ledger.Sqlite.Tests;

/// <summary>The shared ledger contract, against a fresh ledger file for each test.</summary>
public sealed class SqliteLedgerContractTests : LedgerContractTests, IDisposable
{
    private readonly TempLedgerDirectory _directory = new();

    protected override int LatestSchemaVersion => SqliteSchema.LatestVersion;

    protected override async Task<ILedger> CreateEmptyLedgerAsync() => await _directory.OpenAsync();

    protected override async Task<ILedger> OpenSameLedgerAsync() => await _directory.OpenAsync();

    /// <summary>Runs after every ledger is closed (xunit disposes after <see cref="LedgerContractTests.DisposeAsync"/>).</summary>
    public void Dispose() => _directory.Dispose();
}
