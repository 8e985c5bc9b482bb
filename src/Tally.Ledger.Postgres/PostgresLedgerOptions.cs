namespace Tally.Ledger.Postgres;

/// <summary>How a process writes to a team ledger.</summary>
public sealed class PostgresLedgerOptions
{
    /// <summary>
    /// The user stamped on calls that carry none.
    /// </summary>
    /// <value>Default: <c>TALLY_USER</c>, else the operating system's user name.</value>
    public string? User { get; set; } = Environment.GetEnvironmentVariable("TALLY_USER") is { Length: > 0 } user ? user : Environment.UserName;

    /// <summary>
    /// This machine's name: stamped on calls that carry none, and the owner of the file cursors
    /// and tool results this process writes (a cursor is a position in one machine's files).
    /// </summary>
    /// <value>Default: <c>TALLY_HOST</c>, else the machine name.</value>
    public string Host { get; set; } = Environment.GetEnvironmentVariable("TALLY_HOST") is { Length: > 0 } host ? host : Environment.MachineName;

    /// <summary>How many times an operation is retried after a transient failure (a lost connection, a deadlock, a server restarting).</summary>
    /// <value>Default: 6, with backoff doubling from <see cref="FirstRetryDelay"/> (about 6 seconds in all).</value>
    public int MaxRetries { get; set; } = 6;

    /// <summary>The wait before the first retry; each later retry waits twice as long.</summary>
    /// <value>Default: 100 ms.</value>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromMilliseconds(100);
}
