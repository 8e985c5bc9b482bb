namespace Tally.Ledger;

/// <summary>What a ledger holds, for <c>tally state</c>.</summary>
/// <param name="Location">Where the ledger is (a path, or a connection string without secrets).</param>
/// <param name="SchemaVersion">The schema version in force.</param>
/// <param name="CallsBySource">Calls stored per source.</param>
/// <param name="ToolResults">Tool results stored.</param>
/// <param name="FilesTracked">Files with a cursor.</param>
/// <param name="LinesSkipped">Malformed lines found over all tracked files.</param>
public sealed record LedgerStatistics(
    string Location,
    int SchemaVersion,
    IReadOnlyDictionary<string, long> CallsBySource,
    long ToolResults,
    long FilesTracked,
    long LinesSkipped);
