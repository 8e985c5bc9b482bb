using Tally.Ingest;

namespace Tally.Sources.OpenCode;

/// <summary>
/// Where OpenCode keeps its data: a data directory holding the file-per-record
/// <c>storage/</c> tree (<c>storage/message/&lt;sessionID&gt;/&lt;msgID&gt;.json</c>) and, in newer
/// versions, the SQLite database <c>opencode.db</c> (plus <c>opencode-*.db</c> where present).
/// </summary>
internal static class OpenCodeDiscovery
{
    internal const string DataDirVariable = "OPENCODE_DATA_DIR";
    internal const string XdgDataHomeVariable = "XDG_DATA_HOME";
    internal const string StorageDirectory = "storage";
    internal const string MessageDirectory = "message";
    internal const string PartDirectory = "part";
    internal const string SessionDirectory = "session";
    internal const string WalSuffix = "-wal";

    /// <summary>
    /// The data directories to search: every comma-separated entry of <c>OPENCODE_DATA_DIR</c> (an
    /// entry naming the <c>storage</c> folder itself is taken as its parent; repeats are searched
    /// once), else <c>$XDG_DATA_HOME/opencode</c>, else <c>~/.local/share/opencode</c>.
    /// </summary>
    public static IReadOnlyList<string> Roots(AgentEnvironment environment)
    {
        var roots = new List<string>();
        if (environment.PathList(DataDirVariable) is { } configured)
        {
            foreach (var entry in configured)
            {
                var full = entry;
                if (Path.GetFileName(full) == StorageDirectory && Path.GetDirectoryName(full) is { } parent)
                {
                    full = parent;
                }

                if (!roots.Contains(full, StringComparer.Ordinal))
                {
                    roots.Add(full);
                }
            }

            return roots;
        }

        var dataHome = environment.Get(XdgDataHomeVariable) is { } xdg
            ? environment.ExpandPath(xdg)
            : Path.Combine(environment.Home, ".local", "share");
        roots.Add(Path.TrimEndingDirectorySeparator(Path.Combine(dataHome, "opencode")));
        return roots;
    }

    /// <summary>
    /// The databases and message files below the roots, sorted by path, each path once. A database
    /// in WAL mode receives its writes in <c>&lt;db&gt;-wal</c> and its own size and time stay put until
    /// a checkpoint, so a database is listed with the sum of both sizes and the later of both times:
    /// the ingester's unchanged-file check then sees new rows.
    /// </summary>
    public static IReadOnlyList<LogFile> FindFiles(IEnumerable<string> roots)
    {
        var files = new List<LogFile>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var root in roots)
        {
            if (!Directory.Exists(root))
            {
                continue;
            }

            foreach (var database in SafeEnumerate(root, "*.db", recurse: false))
            {
                var name = Path.GetFileName(database);
                if ((name == "opencode.db" || name.StartsWith("opencode-", StringComparison.Ordinal)) && seen.Add(database)
                    && Describe(database) is { } file)
                {
                    files.Add(file);
                }
            }

            var messages = Path.Combine(root, StorageDirectory, MessageDirectory);
            if (!Directory.Exists(messages))
            {
                continue;
            }

            var storageFiles = OpenCodeStorageFiles.ForThisThread;
            var found = new List<LogFile>();
            foreach (var sessionDirectory in SafeEnumerateDirectories(messages))
            {
                found.Clear();
                if (!storageFiles.TryFindFiles(sessionDirectory, found))
                {
                    foreach (var message in SafeEnumerate(sessionDirectory, "*.json", recurse: false))
                    {
                        try
                        {
                            found.Add(LogFile.From(new FileInfo(message)));
                        }
                        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                        {
                            // Deleted while we walked: simply not there.
                        }
                    }
                }

                foreach (var file in found)
                {
                    if (seen.Add(file.Path))
                    {
                        files.Add(file);
                    }
                }
            }
        }

        files.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return files;
    }

    /// <summary>Whether <paramref name="path"/> is an OpenCode database rather than a storage message file.</summary>
    public static bool IsDatabase(string path) => path.EndsWith(".db", StringComparison.OrdinalIgnoreCase);

    private static LogFile? Describe(string database)
    {
        try
        {
            var info = new FileInfo(database);
            if (!info.Exists)
            {
                return null;
            }

            var size = info.Length;
            var modified = info.LastWriteTimeUtc;
            var wal = new FileInfo(database + WalSuffix);
            if (wal.Exists)
            {
                size += wal.Length;
                if (wal.LastWriteTimeUtc > modified)
                {
                    modified = wal.LastWriteTimeUtc;
                }
            }

            return new LogFile(info.FullName, size, modified);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static List<string> SafeEnumerate(string directory, string pattern, bool recurse)
    {
        try
        {
            return Directory.EnumerateFiles(directory, pattern, new EnumerationOptions
            {
                AttributesToSkip = 0,
                IgnoreInaccessible = true,
                RecurseSubdirectories = recurse,
                MatchCasing = MatchCasing.CaseSensitive,
            }).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static List<string> SafeEnumerateDirectories(string directory)
    {
        try
        {
            return Directory.EnumerateDirectories(directory, "*", new EnumerationOptions
            {
                AttributesToSkip = 0,
                IgnoreInaccessible = true,
            }).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
