using Tally.Ingest;
using Tally.Model;
using Tally.Projects;

namespace Tally.Sources.Gemini;

/// <summary>
/// Gemini CLI's chat records: <c>~/.gemini/tmp/&lt;project&gt;/chats/session-*.json</c> (whole-file,
/// older versions), <c>session-*.jsonl</c> (append-only, newer versions) and subagents'
/// <c>chats/&lt;parent-session&gt;/&lt;session&gt;.jsonl</c>.
/// </summary>
/// <remarks>
/// <para>Each <c>type: "gemini"</c> message with a <c>tokens</c> summary is one <see cref="LlmCall"/>,
/// keyed by the message <c>id</c> (a UUID assigned by Gemini CLI: <see cref="KeyKind.Recorded"/>), so a
/// legacy <c>.json</c> and the <c>.jsonl</c> it was migrated to on resume yield one call; without an id
/// the key is derived from the session id, the timestamp and the counts (<see cref="KeyKind.Derived"/>).
/// The summary mirrors <c>usageMetadata</c>: <c>input</c> is the whole prompt including <c>cached</c>, so
/// input = input − cached (never below 0) and cache read = cached; <c>thoughts</c> are outside
/// <c>output</c>, so output = output + thoughts and reasoning = thoughts; <c>tool</c> (tool-use prompt
/// tokens) is added to input, as ccusage does. Cache writes are not reported (null). An absent count is
/// null, never 0; a summary whose counts are all 0 is not a call. Provider is <c>google</c>; the stop
/// reason is the message's <c>finishReason</c> when written (Gemini CLI does not write one, so usually
/// <see cref="StopReason.Unknown"/>). The project is the path in <c>.project_root</c> beside the
/// <c>chats</c> folder when present (hash-named project folders of older versions record none).
/// Subagent records are sidechain calls.</para>
/// <para>Tool calls (<c>toolCalls[]</c>) become <see cref="ToolResult"/>s: the asking call is the message
/// they are recorded on, the consumer the next call; output bytes are the UTF-8 length of each
/// <c>functionResponse.response.output</c> (or <c>error</c>); the error flag is <c>status == "error"</c>.</para>
/// <para>Reads are safe to run on different files from several threads at once.</para>
/// </remarks>
public sealed class GeminiSource : IUsageSource
{
    private readonly AgentEnvironment _environment;
    private readonly ProjectKeyResolver _projects;

    /// <summary>Creates the source for an environment.</summary>
    /// <param name="environment">The home directory and variables (<c>GEMINI_DATA_DIR</c>, <c>GEMINI_CLI_HOME</c>) that say where the records are.</param>
    /// <param name="projects">Resolves each call's project path to a project key; share one across sources so its cache is shared.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public GeminiSource(AgentEnvironment environment, ProjectKeyResolver projects)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(projects);
        _environment = environment;
        _projects = projects;
    }

    /// <summary>Creates the source for an environment, with a project-key resolver of its own.</summary>
    /// <param name="environment">The home directory and variables that say where the records are.</param>
    /// <exception cref="ArgumentNullException"><paramref name="environment"/> is null.</exception>
    public GeminiSource(AgentEnvironment environment)
        : this(environment, new ProjectKeyResolver())
    {
    }

    /// <inheritdoc />
    public string Name => SourceNames.Gemini;

    /// <inheritdoc />
    /// <remarks>
    /// Every comma-separated entry of <c>GEMINI_DATA_DIR</c> is a root (<c>~</c> expanded, repeats
    /// searched once); without it, <c>$GEMINI_CLI_HOME/.gemini/tmp</c>, else <c>~/.gemini/tmp</c>. Each
    /// root is searched recursively for <c>*.json</c> and <c>*.jsonl</c> inside a <c>chats</c> folder
    /// (<c>logs.json</c> and checkpoints carry no token counts and are not listed).
    /// </remarks>
    public SourceDiscovery Discover() => GeminiDiscovery.Discover(_environment);

    /// <inheritdoc />
    /// <remarks>
    /// A <c>.json</c> record is read whole whatever <paramref name="start"/> says (Gemini CLI rewrites
    /// it); a malformed one is skipped as line 1. A <c>.jsonl</c> record is read from
    /// <see cref="ReadStart.Offset"/> to its last complete line with the state of the previous read
    /// (without it, from the beginning).
    /// </remarks>
    /// <exception cref="IOException">The file could not be opened or read.</exception>
    public FileReadResult Read(LogFile file, ReadStart start)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(start);
        try
        {
            return GeminiChatReader.Read(file, start, _projects);
        }
        catch (UnauthorizedAccessException e)
        {
            // The contract promises IOException for a file that cannot be read, whatever the reason.
            throw new IOException($"Cannot read {file.Path}: {e.Message}", e);
        }
    }
}
