namespace Tally.Ledger;

/// <summary>When a session's calls were made, and where.</summary>
/// <param name="Source">The source of the session.</param>
/// <param name="SessionId">The session id.</param>
/// <param name="Project">The project (git key, else path) of its calls, when known.</param>
/// <param name="First">The first call's timestamp.</param>
/// <param name="Last">The last call's timestamp.</param>
/// <param name="ParentSessionId">The session that started this one, for a child (subagent) session.</param>
public sealed record SessionSpan(string Source, string SessionId, string? Project, DateTimeOffset First, DateTimeOffset Last, string? ParentSessionId = null);
