namespace Tally.Ledger;

/// <summary>The column a ledger groups usage by.</summary>
public enum LedgerGrouping
{
    /// <summary>No grouping beyond the pricing columns: one key for everything.</summary>
    None,
    /// <summary>The session id.</summary>
    Session,
    /// <summary>The project key, else the project path.</summary>
    Project,
    /// <summary>The source name.</summary>
    Source,
    /// <summary>
    /// The UTC quarter-hour the call falls in (unix milliseconds / 900,000). Report time zones
    /// have offsets in whole quarter-hours, so days, weeks and months in any zone are unions of these.
    /// </summary>
    QuarterHour,
    /// <summary>The user who wrote the call (<see cref="Model.LlmCall.User"/>).</summary>
    User,
    /// <summary>The machine that wrote the call (<see cref="Model.LlmCall.Host"/>).</summary>
    Host,
}
