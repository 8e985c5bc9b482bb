namespace Tally.Ingest;

/// <summary>
/// Who writes records and from which machine, stamped on every call an ingest writes so that a
/// ledger shared by a team can be filtered and grouped by user and host.
/// </summary>
/// <param name="User">The user name, or null to leave it unknown.</param>
/// <param name="Host">The machine name, or null to leave it unknown.</param>
public sealed record RecordOrigin(string? User, string? Host)
{
    /// <summary>
    /// <c>TALLY_USER</c> and <c>TALLY_HOST</c> when set, else the operating system's user name and
    /// machine name.
    /// </summary>
    public static RecordOrigin FromEnvironment(AgentEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return new RecordOrigin(
            environment.Get("TALLY_USER") ?? Environment.UserName,
            environment.Get("TALLY_HOST") ?? Environment.MachineName);
    }

    /// <summary>The call with this origin filled in where the call has none of its own.</summary>
    public Model.LlmCall Stamp(Model.LlmCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        return (call.User is null && User is not null) || (call.Host is null && Host is not null)
            ? call with { User = call.User ?? User, Host = call.Host ?? Host }
            : call;
    }
}
