namespace Tally.Cli;

/// <summary>A command line that parsed but means nothing (a bad date, an unknown time zone): exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
