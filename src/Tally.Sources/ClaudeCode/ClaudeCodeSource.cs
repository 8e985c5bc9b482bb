using Tally.Ingest;
using Tally.Model;
using Tally.Projects;

namespace Tally.Sources.ClaudeCode;

/// <summary>
/// Claude Code's session transcripts: <c>projects/&lt;slug&gt;/&lt;session&gt;.jsonl</c> and subagent
/// transcripts beneath them, under <c>CLAUDE_CONFIG_DIR</c> or, by default, both
/// <c>$XDG_CONFIG_HOME/claude</c> and <c>~/.claude</c>.
/// </summary>
/// <remarks>
/// <para>Each billed response becomes one <see cref="LlmCall"/> keyed by its message id: the rows
/// Claude Code writes per content block are collapsed (usage overwritten by the most complete row,
/// never summed), and the same message seen again in a resumed session, a <c>/btw</c> replay or a
/// subagent transcript gets the same key, so the ledger counts it once. Progress rows (mirrors of a
/// running subagent's calls), the usage totals inside a Task result, and rows whose model is
/// <c>&lt;synthetic&gt;</c> are not calls.</para>
/// <para>Reads are safe to run on different files from several threads at once; the only state
/// shared between them is the thread-safe <see cref="ProjectKeyResolver"/>.</para>
/// </remarks>
public sealed class ClaudeCodeSource : IUsageSource
{
    private readonly AgentEnvironment _environment;
    private readonly ProjectKeyResolver _projects;

    /// <summary>Creates the source for an environment.</summary>
    /// <param name="environment">The home directory and variables (<c>CLAUDE_CONFIG_DIR</c>, <c>XDG_CONFIG_HOME</c>) that say where the logs are.</param>
    /// <param name="projects">Resolves each call's working directory to a project key; share one across sources so its cache is shared.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public ClaudeCodeSource(AgentEnvironment environment, ProjectKeyResolver projects)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(projects);
        _environment = environment;
        _projects = projects;
    }

    /// <summary>Creates the source for an environment, with a project-key resolver of its own.</summary>
    /// <param name="environment">The home directory and variables that say where the logs are.</param>
    /// <exception cref="ArgumentNullException"><paramref name="environment"/> is null.</exception>
    public ClaudeCodeSource(AgentEnvironment environment)
        : this(environment, new ProjectKeyResolver())
    {
    }

    /// <inheritdoc />
    public string Name => SourceNames.ClaudeCode;

    /// <inheritdoc />
    /// <remarks>
    /// Every comma-separated entry of <c>CLAUDE_CONFIG_DIR</c> is a config directory (its
    /// <c>projects</c> folder is searched) or already a <c>projects</c> folder; <c>~</c> is expanded
    /// and repeated entries are searched once. When it is unset, both default homes are searched.
    /// All <c>*.jsonl</c> below are listed, sorted by path, each real file once.
    /// </remarks>
    public SourceDiscovery Discover()
    {
        var roots = ClaudeCodeDiscovery.Roots(_environment);
        return new SourceDiscovery(roots, ClaudeCodeDiscovery.FindFiles(roots));
    }

    /// <inheritdoc />
    /// <remarks>
    /// Line numbers continue from <see cref="ReadStart.Line"/>. While the file is live (its
    /// <see cref="LogFile.ModifiedUtc"/> is within the last hour), <see cref="FileReadResult.Next"/>
    /// stops before a call that was still streaming at the end of the file, and before a tool
    /// result whose reading call has not been written yet, so the next read sees both complete;
    /// the records from there on are returned now as well. A file not written for longer is
    /// finished, and its cursor moves past its last complete line.
    /// </remarks>
    /// <exception cref="IOException">The file could not be opened or read.</exception>
    public FileReadResult Read(LogFile file, ReadStart start)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(start);
        try
        {
            return ClaudeTranscriptReader.Read(file, start, _projects, DateTimeOffset.UtcNow);
        }
        catch (UnauthorizedAccessException e)
        {
            // The contract promises IOException for a file that cannot be read, whatever the reason.
            throw new IOException($"Cannot read {file.Path}: {e.Message}", e);
        }
    }
}
