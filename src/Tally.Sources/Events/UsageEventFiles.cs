using Tally.Ingest;
using Tally.Model;
using Tally.Projects;

namespace Tally.Sources.Events;

/// <summary>
/// Usage-event files named on the command line (<c>tally import FILE...</c>): JSON Lines, one
/// billed call per line, in Tally's own <c>tally.llm_call/1</c> schema or the common
/// <c>llm_usage</c> event shape.
/// </summary>
/// <remarks>
/// <para><b>Tally's schema</b> (<c>"schema":"tally.llm_call/1"</c>) carries tokens already in Tally's
/// disjoint buckets; any bucket may be absent or <c>null</c> (unknown, never 0). Its <c>id</c> is the
/// call key (<see cref="KeyKind.Recorded"/>).</para>
/// <para><b>The <c>llm_usage</c> event</b> (<c>"type":"llm_usage"</c>, as open-strix writes it from
/// LangChain usage metadata) counts cache reads and cache writes inside <c>input_tokens</c>, so fresh
/// input is <c>input_tokens − cache_read_input_tokens − cache_creation_input_tokens</c>. When the
/// numbers show the producer counted input without the cache instead (the difference would be
/// negative, or <c>total_tokens</c> equals input + cache + output), <c>input_tokens</c> is kept as
/// fresh input. Cache creation is taken as 5-minute cache writes.</para>
/// <para>An event without an <c>id</c> gets a derived key (<see cref="KeyKind.Derived"/>) from its
/// session, instant, model and token buckets, so the same event in two files, or in one file
/// twice, is one call. Lines of other event types (<c>"type":"tool_call"</c>, …) in the same log are
/// ignored without a warning; lines that are not JSON, not an event, or fail validation are reported
/// in <see cref="FileReadResult.Skipped"/> with their 1-based line number.</para>
/// <para>Reads are safe to run on different files from several threads at once.</para>
/// </remarks>
public sealed class UsageEventFiles : IUsageSource
{
    private readonly List<string> _paths;
    private readonly ProjectKeyResolver _projects;

    /// <summary>Creates the source for a list of files.</summary>
    /// <param name="paths">The files to import, absolute or relative to the current directory (resolved now).</param>
    /// <param name="projects">Resolves each event's <c>project</c> directory to a project key; share one across sources so its cache is shared.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">A path is null, empty or not a valid path.</exception>
    public UsageEventFiles(IReadOnlyList<string> paths, ProjectKeyResolver projects)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(projects);
        var full = new List<string>(paths.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            if (string.IsNullOrWhiteSpace(path))
            {
                throw new ArgumentException("A path to import is empty.", nameof(paths));
            }

            var resolved = Path.GetFullPath(path);
            if (seen.Add(resolved))
            {
                full.Add(resolved);
            }
        }

        _paths = full;
        _projects = projects;
    }

    /// <inheritdoc />
    public string Name => SourceNames.Events;

    /// <inheritdoc />
    /// <remarks>
    /// <see cref="SourceDiscovery.SearchedRoots"/> lists every path given, as a full path, in the
    /// order given, each once. <see cref="SourceDiscovery.Files"/> lists those that are existing
    /// files; a path that does not exist or is a directory is left out of it and nothing is thrown,
    /// so the caller reports it (it is in <c>SearchedRoots</c> but not in <c>Files</c>).
    /// </remarks>
    public SourceDiscovery Discover()
    {
        var files = new List<LogFile>(_paths.Count);
        foreach (var path in _paths)
        {
            var info = new FileInfo(path);
            if (info.Exists)
            {
                files.Add(LogFile.From(info));
            }
        }

        return new SourceDiscovery(_paths, files);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Reads from <see cref="ReadStart.Offset"/> to the end of the file, continuing line numbers from
    /// <see cref="ReadStart.Line"/>. A last line without a newline is taken when it is already a
    /// complete JSON value (a file written without a final newline); otherwise it is still being
    /// written, is not reported, and the cursor stops before it. No resume state is kept
    /// (<see cref="ReadStart.State"/> is null).
    /// </remarks>
    /// <exception cref="IOException">The file could not be opened or read.</exception>
    public FileReadResult Read(LogFile file, ReadStart start)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(start);
        try
        {
            return UsageEventReader.Read(file, start, _projects);
        }
        catch (UnauthorizedAccessException e)
        {
            // The contract promises IOException for a file that cannot be read, whatever the reason.
            throw new IOException($"Cannot read {file.Path}: {e.Message}", e);
        }
    }
}
