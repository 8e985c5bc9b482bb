using Tally.Cli;
using Tally.Ledger.Sqlite;

// The CLI owns its process, and every connection in it has one user at a time.
SqliteLedger.UseMultiThreadMode();
return await TallyCommand.RunAsync(args, CliConsoles.Create());
