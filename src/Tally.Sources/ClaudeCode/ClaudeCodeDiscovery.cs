using Tally.Ingest;

namespace Tally.Sources.ClaudeCode;

/// <summary>
/// Where Claude Code keeps its transcripts: <c>&lt;config&gt;/projects/&lt;slug&gt;/&lt;session&gt;.jsonl</c>,
/// plus subagent transcripts at <c>&lt;slug&gt;/&lt;session&gt;/subagents/agent-&lt;id&gt;.jsonl</c> (and older
/// nested layouts), so every <c>*.jsonl</c> under <c>projects/</c> is walked.
/// </summary>
internal static class ClaudeCodeDiscovery
{
    internal const string ConfigDirVariable = "CLAUDE_CONFIG_DIR";
    internal const string XdgConfigHomeVariable = "XDG_CONFIG_HOME";
    private const string ProjectsDirectory = "projects";

    // Directory links are followed, so a cycle (a link to an ancestor) must end somewhere.
    private const int MaxLinkHops = 40;

    /// <summary>
    /// The <c>projects</c> directories to search. <c>CLAUDE_CONFIG_DIR</c> may list several config
    /// directories separated by commas (as ccusage accepts); an entry that already names a
    /// <c>projects</c> directory is taken as it is. Without it, Claude Code's two homes are both
    /// searched: <c>$XDG_CONFIG_HOME/claude</c> (newer installs) and <c>~/.claude</c>.
    /// </summary>
    public static IReadOnlyList<string> Roots(AgentEnvironment environment)
    {
        var roots = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Add(string path)
        {
            var full = Path.TrimEndingDirectorySeparator(path);
            if (seen.Add(full))
            {
                roots.Add(full);
            }
        }

        if (environment.PathList(ConfigDirVariable) is { } configured)
        {
            foreach (var full in configured)
            {
                Add(Path.GetFileName(full) == ProjectsDirectory ? full : Path.Combine(full, ProjectsDirectory));
            }

            return roots;
        }

        var xdgConfig = environment.Get(XdgConfigHomeVariable) is { } xdg
            ? environment.ExpandPath(xdg)
            : Path.Combine(environment.Home, ".config");
        Add(Path.Combine(xdgConfig, "claude", ProjectsDirectory));
        Add(Path.Combine(environment.Home, ".claude", ProjectsDirectory));
        return roots;
    }

    /// <summary>
    /// Every <c>*.jsonl</c> below the roots, sorted by path. A file reached twice (through a linked
    /// directory, or two roots that are one directory) is listed once, under the first path found.
    /// </summary>
    public static IReadOnlyList<LogFile> FindFiles(IEnumerable<string> roots)
    {
        var files = new List<LogFile>();
        var seenFiles = new HashSet<string>(StringComparer.Ordinal);
        var seenDirectories = new HashSet<string>(StringComparer.Ordinal);
        foreach (var root in roots)
        {
            if (Directory.Exists(root))
            {
                Walk(new DirectoryInfo(root), files, seenFiles, seenDirectories);
            }
        }

        files.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return files;
    }

    private static void Walk(DirectoryInfo root, List<LogFile> files, HashSet<string> seenFiles, HashSet<string> seenDirectories)
    {
        var pending = new Stack<(DirectoryInfo Directory, string? RealPath)>();
        pending.Push((root, RealPath(root.FullName)));
        while (pending.Count > 0)
        {
            var (directory, realDirectory) = pending.Pop();
            if (realDirectory is null || !seenDirectories.Add(realDirectory))
            {
                continue;
            }

            IEnumerable<FileSystemInfo> entries;
            try
            {
                entries = directory.EnumerateFileSystemInfos("*", new EnumerationOptions
                {
                    // Claude Code writes no hidden files, but a user's own config tree may be hidden
                    // (a dot-directory named in CLAUDE_CONFIG_DIR); skip nothing by attribute.
                    AttributesToSkip = 0,
                    IgnoreInaccessible = true,
                    RecurseSubdirectories = false,
                }).ToList();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue; // vanished or unreadable between listing and reading: nothing to find there
            }

            foreach (var entry in entries)
            {
                try
                {
                    if (entry is DirectoryInfo child)
                    {
                        // Only a link needs resolving; a plain child's real path is its parent's plus its name.
                        pending.Push((child, child.LinkTarget is null ? Path.Combine(realDirectory, child.Name) : RealPath(child.FullName)));
                    }
                    else if (entry is FileInfo file && file.Name.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
                    {
                        AddFile(file, realDirectory, files, seenFiles);
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // A file deleted while we walk is simply not there.
                }
            }
        }
    }

    private static void AddFile(FileInfo file, string realDirectory, List<LogFile> files, HashSet<string> seenFiles)
    {
        var real = file.LinkTarget is null ? Path.Combine(realDirectory, file.Name) : RealPath(file.FullName);
        if (real is null || !seenFiles.Add(real))
        {
            return;
        }

        if (file.LinkTarget is not null)
        {
            // The log file's size and time are the target's, not the link's.
            var target = new FileInfo(real);
            if (!target.Exists)
            {
                return;
            }

            files.Add(new LogFile(file.FullName, target.Length, target.LastWriteTimeUtc));
            return;
        }

        files.Add(LogFile.From(file));
    }

    /// <summary>
    /// The path with every symbolic link along it resolved, so two routes to one file compare equal;
    /// null when a link is dangling or links loop.
    /// </summary>
    internal static string? RealPath(string path)
    {
        var full = Path.GetFullPath(path);
        var root = Path.GetPathRoot(full) ?? "";
        var remaining = new Queue<string>(full[root.Length..].Split(
            [Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries));
        var current = root;
        var hops = 0;
        while (remaining.Count > 0)
        {
            var next = Path.Combine(current, remaining.Dequeue());
            FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            if (info.LinkTarget is not { } target)
            {
                current = next;
                continue;
            }

            if (++hops > MaxLinkHops)
            {
                return null;
            }

            // Resolve the target from the link's directory and walk its components again, since the
            // target may itself run through links.
            var resolved = Path.GetFullPath(Path.IsPathRooted(target) ? target : Path.Combine(current, target));
            var resolvedRoot = Path.GetPathRoot(resolved) ?? "";
            var rest = remaining.ToArray();
            remaining.Clear();
            foreach (var part in resolved[resolvedRoot.Length..].Split(
                [Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries))
            {
                remaining.Enqueue(part);
            }

            foreach (var part in rest)
            {
                remaining.Enqueue(part);
            }

            current = resolvedRoot;
        }

        return Directory.Exists(current) || File.Exists(current) ? current : null;
    }
}
