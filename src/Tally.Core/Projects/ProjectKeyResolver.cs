using System.Collections.Concurrent;

namespace Tally.Projects;

/// <summary>
/// Turns a working directory into a git-canonical project key, so that sessions run in different
/// clones, worktrees or machines of the same repository group together: the <c>origin</c> remote as
/// <c>host/owner/repo</c>, else the main worktree's root path.
/// </summary>
/// <remarks>
/// The resolver reads <c>.git</c>, <c>commondir</c> and <c>config</c> files itself and never runs the
/// git binary (ingest resolves thousands of rows and must not fork a process per directory). Results
/// are cached per directory for the lifetime of the instance, so a repository whose remote changes
/// is seen with its old key until a new resolver is made. Safe to use from several threads at once.
/// </remarks>
public sealed class ProjectKeyResolver
{
    // Walking up from a directory stops after this many levels: a guard against pathological links.
    private const int MaxDepth = 256;

    private readonly ConcurrentDictionary<string, string?> _byDirectory = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string?> _byCommonDirectory = new(StringComparer.Ordinal);

    /// <summary>
    /// The project key of <paramref name="directory"/>: the canonical <c>origin</c> remote
    /// (<c>github.com/owner/repo</c>) when the repository has one, else the main worktree's root
    /// path; null when <paramref name="directory"/> is empty, does not exist (any more), or is in no
    /// git repository.
    /// </summary>
    public string? Resolve(string? directory)
    {
        if (string.IsNullOrWhiteSpace(directory))
        {
            return null;
        }

        return _byDirectory.GetOrAdd(directory, ResolveUncached);
    }

    /// <summary>
    /// Canonicalises a git remote URL to <c>host/path</c>: the scheme, user name, password and port
    /// are dropped, a trailing <c>.git</c> and slashes are removed and the host is lower-cased (the
    /// path keeps its case). Handles <c>https://</c>, <c>ssh://</c>, <c>git://</c> and the scp-like
    /// <c>git@host:owner/repo.git</c> form. Null for a local path or anything unrecognised.
    /// </summary>
    public static string? CanonicalizeRemoteUrl(string? url)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            return null;
        }

        var text = url.Trim();
        string host;
        string path;
        var schemeEnd = text.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd >= 0)
        {
            var scheme = text[..schemeEnd];
            if (scheme.Length == 0 || scheme.Equals("file", StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }

            var rest = text[(schemeEnd + 3)..];
            var slash = rest.IndexOf('/');
            var authority = slash < 0 ? rest : rest[..slash];
            path = slash < 0 ? "" : rest[(slash + 1)..];
            host = HostOf(authority);
        }
        else
        {
            // scp-like syntax: [user@]host:path. A colon after a slash, or a one-letter "host"
            // (a Windows drive such as C:\repo), means it is a local path instead.
            var colon = text.IndexOf(':');
            var firstSlash = text.IndexOfAny(['/', '\\']);
            if (colon <= 0 || (firstSlash >= 0 && firstSlash < colon))
            {
                return null;
            }

            var authority = text[..colon];
            host = HostOf(authority);
            if (host.Length <= 1)
            {
                return null;
            }

            path = text[(colon + 1)..];
        }

        path = path.Trim('/');
        if (path.EndsWith(".git", StringComparison.OrdinalIgnoreCase))
        {
            path = path[..^4].TrimEnd('/');
        }

        if (host.Length == 0 || path.Length == 0)
        {
            return null;
        }

        return host + "/" + path;
    }

    // user:password@host:port → host, lower-cased. IPv6 literals keep their brackets.
    private static string HostOf(string authority)
    {
        var at = authority.LastIndexOf('@');
        var hostAndPort = at >= 0 ? authority[(at + 1)..] : authority;
        if (hostAndPort.StartsWith('['))
        {
            var close = hostAndPort.IndexOf(']');
            return (close < 0 ? hostAndPort : hostAndPort[..(close + 1)]).ToLowerInvariant();
        }

        var colon = hostAndPort.IndexOf(':');
        return (colon < 0 ? hostAndPort : hostAndPort[..colon]).ToLowerInvariant();
    }

    private string? ResolveUncached(string directory)
    {
        string start;
        try
        {
            start = Path.GetFullPath(directory);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return null;
        }

        if (!Directory.Exists(start))
        {
            return null;
        }

        var repository = FindRepository(start);
        if (repository is null)
        {
            return null;
        }

        var (commonDirectory, worktreeRoot) = repository.Value;
        return _byCommonDirectory.GetOrAdd(commonDirectory, common =>
            CanonicalizeRemoteUrl(GitConfigFile.ReadOriginUrl(Path.Combine(common, "config")))
            ?? worktreeRoot);
    }

    // Walks up to the nearest .git and returns the repository's common directory (where config
    // lives, shared by all worktrees) and the main worktree's root.
    private static (string CommonDirectory, string WorktreeRoot)? FindRepository(string start)
    {
        var directory = start;
        for (var depth = 0; depth < MaxDepth && directory is not null; depth++)
        {
            var dotGit = Path.Combine(directory, ".git");
            try
            {
                if (Directory.Exists(dotGit))
                {
                    return (dotGit, TrimSeparator(directory));
                }

                if (File.Exists(dotGit) && FromGitFile(dotGit, directory) is { } linked)
                {
                    return linked;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // An unreadable .git is no repository we can name; keep walking up.
            }

            directory = Path.GetDirectoryName(directory);
        }

        return null;
    }

    // A .git file ("gitdir: <path>") marks a linked worktree or a submodule checkout. A worktree's
    // git dir holds "commondir", pointing at the main repository's .git.
    private static (string CommonDirectory, string WorktreeRoot)? FromGitFile(string dotGitFile, string checkout)
    {
        string? gitDirectory = null;
        foreach (var line in File.ReadLines(dotGitFile))
        {
            if (line.StartsWith("gitdir:", StringComparison.Ordinal))
            {
                gitDirectory = line["gitdir:".Length..].Trim();
                break;
            }
        }

        if (string.IsNullOrEmpty(gitDirectory))
        {
            return null;
        }

        gitDirectory = Path.GetFullPath(Path.Combine(checkout, gitDirectory));
        if (!Directory.Exists(gitDirectory))
        {
            return null;
        }

        var commonFile = Path.Combine(gitDirectory, "commondir");
        if (!File.Exists(commonFile))
        {
            // A submodule: its git dir is its own repository and the checkout is its root.
            return (gitDirectory, TrimSeparator(checkout));
        }

        var common = File.ReadAllText(commonFile).Trim();
        var commonDirectory = TrimSeparator(Path.GetFullPath(Path.Combine(gitDirectory, common)));
        var root = Path.GetFileName(commonDirectory) == ".git"
            ? Path.GetDirectoryName(commonDirectory) ?? commonDirectory
            : commonDirectory; // a bare main repository has no worktree of its own
        return (commonDirectory, TrimSeparator(root));
    }

    private static string TrimSeparator(string path) =>
        path.Length > 1 && Path.EndsInDirectorySeparator(path) && Path.GetPathRoot(path) != path
            ? path.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar)
            : path;
}
