using Microsoft.Data.Sqlite;

namespace Tally.Ledger.Sqlite.Tests.TestSupport;

/// <summary>A fresh directory for one test's ledger file, deleted afterwards.</summary>
internal sealed class TempLedgerDirectory : IDisposable
{
    public TempLedgerDirectory()
    {
        Root = Path.Combine(Path.GetTempPath(), "tally-ledger-tests", Guid.NewGuid().ToString("N"));
        LedgerPath = Path.Combine(Root, "nested", "ledger.db");
    }

    public string Root { get; }

    /// <summary>A path whose directory does not exist yet, so every test also covers its creation.</summary>
    public string LedgerPath { get; }

    public Task<SqliteLedger> OpenAsync() => SqliteLedger.OpenAsync(LedgerPath);

    /// <summary>Runs a query on a connection of its own, to look at what the ledger stored.</summary>
    public List<object?[]> Query(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={LedgerPath};Pooling=false");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<object?[]>();
        while (reader.Read())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }

            rows.Add(row);
        }

        return rows;
    }

    public object? Scalar(string sql) => Query(sql).Single()[0];

    public void Dispose()
    {
        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
    }
}
