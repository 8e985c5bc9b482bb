using Tally.Ingest;

namespace Tally.Sources.Gemini;

/// <summary>
/// Where Gemini CLI keeps its chat records: <c>&lt;gemini&gt;/tmp/&lt;project&gt;/chats/session-*.json</c>
/// (whole-file records of older versions), <c>session-*.jsonl</c> (append-only records of newer ones) and
/// <c>chats/&lt;parent-session&gt;/&lt;session&gt;.jsonl</c> (subagents).
/// </summary>
/// <remarks>
/// <c>&lt;project&gt;</c> is a SHA-256 of the project root (older versions) or a short slug whose
/// <c>.project_root</c> file holds the root path (newer ones). Only <c>chats</c> folders carry token
/// counts: <c>logs.json</c> (prompt log) and <c>checkpoint-*.json</c> (saved history) do not, and are
/// not listed.
/// </remarks>
internal static class GeminiDiscovery
{
    internal const string DataDirVariable = "GEMINI_DATA_DIR";
    internal const string CliHomeVariable = "GEMINI_CLI_HOME";
    internal const string ChatsDirectory = "chats";
    internal const string ProjectRootFile = ".project_root";

    /// <summary>
    /// The roots to search: every comma-separated entry of <c>GEMINI_DATA_DIR</c> (as ccusage reads it);
    /// else <c>$GEMINI_CLI_HOME/.gemini/tmp</c>; else <c>~/.gemini/tmp</c>. Each once.
    /// </summary>
    public static IReadOnlyList<string> Roots(AgentEnvironment environment)
    {
        var roots = new List<string>();
        if (environment.PathList(DataDirVariable) is { } configured)
        {
            roots.AddRange(configured.Where(full => !roots.Contains(full, StringComparer.Ordinal)).Distinct(StringComparer.Ordinal));
        }

        if (roots.Count == 0)
        {
            var home = environment.Get(CliHomeVariable) is { } cliHome ? environment.ExpandPath(cliHome) : environment.Home;
            roots.Add(Path.Combine(home, ".gemini", "tmp"));
        }

        return roots;
    }

    /// <summary>Every <c>*.json</c> / <c>*.jsonl</c> inside a <c>chats</c> folder under each root, sorted by path.</summary>
    public static SourceDiscovery Discover(AgentEnvironment environment)
    {
        var roots = Roots(environment);
        var files = new List<LogFile>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var root in roots)
        {
            if (!Directory.Exists(root))
            {
                continue;
            }

            try
            {
                foreach (var file in new DirectoryInfo(root).EnumerateFiles("*", new EnumerationOptions
                {
                    RecurseSubdirectories = true,
                    IgnoreInaccessible = true,
                    AttributesToSkip = 0,
                }))
                {
                    if (IsChatFile(file.FullName) && seen.Add(file.FullName))
                    {
                        files.Add(LogFile.From(file));
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A directory that vanished or cannot be read holds nothing we can use.
            }
        }

        files.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return new SourceDiscovery(roots, files);
    }

    /// <summary>Whether the path is a <c>.json</c>/<c>.jsonl</c> file with a <c>chats</c> folder among its parents.</summary>
    internal static bool IsChatFile(string path)
    {
        if (!path.EndsWith(".json", StringComparison.Ordinal) && !path.EndsWith(".jsonl", StringComparison.Ordinal))
        {
            return false;
        }

        return ChatsFolder(path) is not null;
    }

    /// <summary>The nearest <c>chats</c> folder above the file, or null.</summary>
    internal static string? ChatsFolder(string path)
    {
        for (var directory = Path.GetDirectoryName(path); !string.IsNullOrEmpty(directory); directory = Path.GetDirectoryName(directory))
        {
            if (Path.GetFileName(directory) == ChatsDirectory)
            {
                return directory;
            }
        }

        return null;
    }

    /// <summary>Whether the file sits in a sub-folder of <c>chats</c> (a subagent's record, nested under its parent session).</summary>
    internal static bool IsNestedInChats(string path)
    {
        var chats = ChatsFolder(path);
        return chats is not null && !string.Equals(Path.GetDirectoryName(path), chats, StringComparison.Ordinal);
    }

    /// <summary>For a subagent's chat, <c>chats/&lt;parent-session&gt;/&lt;session&gt;.jsonl</c>, the parent session's id.</summary>
    internal static string? ParentSessionOf(string path) =>
        IsNestedInChats(path) ? Path.GetFileName(Path.GetDirectoryName(path)) : null;
}
