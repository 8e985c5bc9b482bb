namespace Tally.Ledger;

/// <summary>Which calls a query looks at. Every criterion is optional; null means "any".</summary>
/// <param name="Since">Inclusive lower bound on the call's timestamp.</param>
/// <param name="Until">Exclusive upper bound on the call's timestamp.</param>
/// <param name="Project">Matches the project path or project key exactly, or as a path suffix.</param>
/// <param name="Session">Matches the session id exactly, or as a prefix.</param>
/// <param name="Source">Matches the source name exactly.</param>
/// <param name="User">Matches the user who wrote the call exactly (<see cref="Model.LlmCall.User"/>).</param>
/// <param name="Host">Matches the machine that wrote the call exactly (<see cref="Model.LlmCall.Host"/>).</param>
public sealed record CallFilter(
    DateTimeOffset? Since = null,
    DateTimeOffset? Until = null,
    string? Project = null,
    string? Session = null,
    string? Source = null,
    string? User = null,
    string? Host = null)
{
    /// <summary>No restriction.</summary>
    public static CallFilter All { get; } = new();
}
