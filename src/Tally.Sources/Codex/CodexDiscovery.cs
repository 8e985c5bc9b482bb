using Tally.Ingest;

namespace Tally.Sources.Codex;

/// <summary>
/// Where Codex CLI keeps its rollouts: <c>&lt;home&gt;/sessions/YYYY/MM/DD/rollout-*.jsonl</c> while a
/// session is active, and <c>&lt;home&gt;/archived_sessions/**/rollout-*.jsonl</c> once archived.
/// </summary>
internal static class CodexDiscovery
{
    internal const string HomeVariable = "CODEX_HOME";
    internal const string SessionsDirectory = "sessions";
    internal const string ArchivedDirectory = "archived_sessions";
    private const string Pattern = "rollout-*.jsonl";

    /// <summary>The Codex homes: every comma-separated entry of <c>CODEX_HOME</c>, else <c>~/.codex</c>; each once.</summary>
    public static IReadOnlyList<string> Homes(AgentEnvironment environment)
    {
        var homes = new List<string>();
        if (environment.PathList(HomeVariable) is { } configured)
        {
            homes.AddRange(configured.Where(full => !homes.Contains(full, StringComparer.Ordinal)).Distinct(StringComparer.Ordinal));
        }

        if (homes.Count == 0)
        {
            homes.Add(Path.Combine(environment.Home, ".codex"));
        }

        return homes;
    }

    /// <summary>
    /// Every rollout under each home's <c>sessions</c> and <c>archived_sessions</c>, sorted by path.
    /// When a home holds a file of the same name in both, only the active <c>sessions</c> copy is
    /// listed (an archived rollout is the same session moved).
    /// </summary>
    public static SourceDiscovery Discover(AgentEnvironment environment)
    {
        var roots = new List<string>();
        var files = new List<LogFile>();
        var seenPaths = new HashSet<string>(StringComparer.Ordinal);
        foreach (var home in Homes(environment))
        {
            var active = Path.Combine(home, SessionsDirectory);
            var archived = Path.Combine(home, ArchivedDirectory);
            roots.Add(active);
            roots.Add(archived);
            var activeNames = new HashSet<string>(StringComparer.Ordinal);
            foreach (var file in Find(active))
            {
                if (seenPaths.Add(file.FullName))
                {
                    activeNames.Add(file.Name);
                    files.Add(LogFile.From(file));
                }
            }

            foreach (var file in Find(archived))
            {
                if (!activeNames.Contains(file.Name) && seenPaths.Add(file.FullName))
                {
                    files.Add(LogFile.From(file));
                }
            }
        }

        files.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return new SourceDiscovery(roots, files);
    }

    private static List<FileInfo> Find(string root)
    {
        var found = new List<FileInfo>();
        if (!Directory.Exists(root))
        {
            return found;
        }

        try
        {
            foreach (var file in new DirectoryInfo(root).EnumerateFiles(Pattern, new EnumerationOptions
            {
                RecurseSubdirectories = true,
                IgnoreInaccessible = true,
                AttributesToSkip = 0,
                MatchCasing = MatchCasing.CaseSensitive,
            }))
            {
                found.Add(file);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A directory that vanished or cannot be read holds nothing we can use.
        }

        return found;
    }
}
