using Tally.Cli;

return await TallyCommand.RunAsync(args, CliConsoles.Create());
