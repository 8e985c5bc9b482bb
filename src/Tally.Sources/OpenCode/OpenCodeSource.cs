using Tally.Ingest;
using Tally.Model;
using Tally.Projects;

namespace Tally.Sources.OpenCode;

/// <summary>
/// OpenCode's data directory (<c>OPENCODE_DATA_DIR</c>, else <c>$XDG_DATA_HOME/opencode</c>, else
/// <c>~/.local/share/opencode</c>) in both of its layouts: the file-per-record <c>storage/</c> tree of
/// older versions and the SQLite database <c>opencode.db</c> (and <c>opencode-*.db</c>) of newer ones.
/// </summary>
/// <remarks>
/// <para>Each assistant message with tokens is one <see cref="LlmCall"/> keyed by its message id, so a
/// migrated install that has the same message in both layouts yields one call. Usage is taken as
/// OpenCode stores it, which is already disjoint: <c>tokens.input</c> is net of cache (OpenCode
/// subtracts cached tokens for providers that include them), <c>cache.read</c> and
/// <c>cache.write</c> (5-minute writes) are separate, and <c>tokens.reasoning</c>, kept outside
/// <c>tokens.output</c> by OpenCode but billed as output, is added to output. A message whose counts
/// are all 0 (just created, or aborted before its first step finished) is not a call. The
/// timestamp is <c>time.completed</c> (when the response arrived), else <c>time.created</c>. A stated
/// <c>cost</c> is kept exactly, except a 0 beside non-zero tokens, which means OpenCode had no price
/// for the model and is stored as unknown. Calls in a child session (one with a <c>parentID</c>) are
/// sidechain calls whose agent is the message's <c>agent</c>/<c>mode</c>, else the session title.</para>
/// <para>Reads are safe to run on different files from several threads at once.</para>
/// </remarks>
public sealed class OpenCodeSource : IUsageSource
{
    private readonly AgentEnvironment _environment;
    private readonly OpenCodeStorageReader _storage;
    private readonly OpenCodeDatabaseReader _database;

    /// <summary>Creates the source for an environment.</summary>
    /// <param name="environment">The home directory and variables (<c>OPENCODE_DATA_DIR</c>, <c>XDG_DATA_HOME</c>) that say where the data is.</param>
    /// <param name="projects">Resolves each call's working directory to a project key; share one across sources so its cache is shared.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public OpenCodeSource(AgentEnvironment environment, ProjectKeyResolver projects)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(projects);
        _environment = environment;
        _storage = new OpenCodeStorageReader(projects);
        _database = new OpenCodeDatabaseReader(projects);
    }

    /// <summary>Creates the source for an environment, with a project-key resolver of its own.</summary>
    /// <param name="environment">The home directory and variables that say where the data is.</param>
    /// <exception cref="ArgumentNullException"><paramref name="environment"/> is null.</exception>
    public OpenCodeSource(AgentEnvironment environment)
        : this(environment, new ProjectKeyResolver())
    {
    }

    /// <inheritdoc />
    public string Name => SourceNames.OpenCode;

    /// <inheritdoc />
    /// <remarks>
    /// Every comma-separated entry of <c>OPENCODE_DATA_DIR</c> is a data directory (an entry naming its
    /// <c>storage</c> folder is taken as its parent); <c>~</c> is expanded and repeats are searched
    /// once. Lists each <c>opencode.db</c> / <c>opencode-*.db</c> in a data directory (its size and
    /// time include its <c>-wal</c> file, where new rows land first) and every
    /// <c>storage/message/&lt;session&gt;/*.json</c>, sorted by path.
    /// </remarks>
    public SourceDiscovery Discover()
    {
        var roots = OpenCodeDiscovery.Roots(_environment);
        return new SourceDiscovery(roots, OpenCodeDiscovery.FindFiles(roots));
    }

    /// <inheritdoc />
    /// <remarks>
    /// A message file is read whole whatever <paramref name="start"/> says (OpenCode rewrites it in
    /// place), together with its parts and session file; malformed files are skipped as line 1. A
    /// database is read from the update time kept in <see cref="ReadStart.State"/> (see
    /// <see cref="FileReadResult.Next"/>); malformed rows are skipped with their row id as the line.
    /// </remarks>
    /// <exception cref="IOException">The file could not be opened or read, or the database could not be queried.</exception>
    public FileReadResult Read(LogFile file, ReadStart start)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(start);
        try
        {
            return OpenCodeDiscovery.IsDatabase(file.Path) ? _database.Read(file, start) : _storage.Read(file);
        }
        catch (UnauthorizedAccessException e)
        {
            // The contract promises IOException for a file that cannot be read, whatever the reason.
            throw new IOException($"Cannot read {file.Path}: {e.Message}", e);
        }
    }
}
