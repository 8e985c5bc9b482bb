using Tally.Model;

namespace Tally.Reports;

/// <summary>One session in <c>tally sessions</c>.</summary>
/// <param name="Source">The agent it ran in.</param>
/// <param name="SessionId">The session id.</param>
/// <param name="Project">Its project (git key, else path), when known.</param>
/// <param name="First">Its first call.</param>
/// <param name="Last">Its last call.</param>
/// <param name="Models">The models it used, most calls first.</param>
/// <param name="Usage">Its calls, tokens and cost.</param>
/// <param name="ParentSessionId">The session that started this one, for a child (subagent) session.</param>
public sealed record SessionRow(
    string Source,
    string SessionId,
    string? Project,
    DateTimeOffset First,
    DateTimeOffset Last,
    IReadOnlyList<string> Models,
    UsageRow Usage,
    string? ParentSessionId = null);
