using Tally.Ingest;
using Tally.Model;
using Tally.Projects;

namespace Tally.Sources.Codex;

/// <summary>
/// Codex CLI's rollout logs: <c>sessions/YYYY/MM/DD/rollout-*.jsonl</c> and
/// <c>archived_sessions/**/rollout-*.jsonl</c> under every entry of <c>CODEX_HOME</c> (by default
/// <c>~/.codex</c>).
/// </summary>
/// <remarks>
/// <para>Each <c>token_count</c> event whose cumulative total moved is one billed <see cref="LlmCall"/>
/// (<see cref="KeyKind.Derived"/>, keyed by the event's timestamp and the cumulative totals, so a
/// line copied into a forked, resumed or subagent rollout keeps its key). Re-emitted events with
/// unchanged totals and <c>info: null</c> events are not calls; a counter that goes down restarts
/// the baseline. Usage is the event's <c>last_token_usage</c>, else the difference of the totals,
/// with cached input taken out of input. Codex reports no cache writes (null) and no stop reason
/// (<see cref="StopReason.Unknown"/>). The opening burst of a forked rollout, which re-writes the
/// parent's history with new timestamps, only advances the baseline.</para>
/// <para>Tool calls (<c>function_call</c>, <c>custom_tool_call</c>) and their outputs become
/// <see cref="ToolResult"/>s: the call that asked for a tool is the next call in the file, the
/// call that read its output the next one after the output.</para>
/// <para>Reads resume from a byte offset with the state of the previous read (the baseline,
/// model, session, working directory and tools waiting for their call), so no byte is read twice.
/// Reads are safe to run on different files from several threads at once.</para>
/// </remarks>
public sealed class CodexSource : IUsageSource
{
    private readonly AgentEnvironment _environment;
    private readonly ProjectKeyResolver _projects;

    /// <summary>Creates the source for an environment.</summary>
    /// <param name="environment">The home directory and variables (<c>CODEX_HOME</c>) that say where the logs are.</param>
    /// <param name="projects">Resolves each call's working directory to a project key; share one across sources so its cache is shared.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public CodexSource(AgentEnvironment environment, ProjectKeyResolver projects)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(projects);
        _environment = environment;
        _projects = projects;
    }

    /// <summary>Creates the source for an environment, with a project-key resolver of its own.</summary>
    /// <param name="environment">The home directory and variables that say where the logs are.</param>
    /// <exception cref="ArgumentNullException"><paramref name="environment"/> is null.</exception>
    public CodexSource(AgentEnvironment environment)
        : this(environment, new ProjectKeyResolver())
    {
    }

    /// <inheritdoc />
    public string Name => SourceNames.Codex;

    /// <inheritdoc />
    /// <remarks>
    /// Every comma-separated entry of <c>CODEX_HOME</c> is a Codex home (<c>~</c> expanded, repeats
    /// searched once); without it, <c>~/.codex</c>. Both <c>sessions</c> and <c>archived_sessions</c>
    /// of each home are searched recursively for <c>rollout-*.jsonl</c>, and listed in
    /// <see cref="SourceDiscovery.SearchedRoots"/> whether they exist or not. A file name found in
    /// both is listed once, from <c>sessions</c>.
    /// </remarks>
    public SourceDiscovery Discover() => CodexDiscovery.Discover(_environment);

    /// <inheritdoc />
    /// <remarks>
    /// Line numbers continue from <see cref="ReadStart.Line"/>; <see cref="FileReadResult.Next"/>
    /// is past the last complete line and carries the state to resume from. A start past the
    /// beginning without this source's state reads the file again from its beginning.
    /// </remarks>
    /// <exception cref="IOException">The file could not be opened or read.</exception>
    public FileReadResult Read(LogFile file, ReadStart start)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(start);
        try
        {
            return CodexRolloutReader.Read(file, start, _projects);
        }
        catch (UnauthorizedAccessException e)
        {
            // The contract promises IOException for a file that cannot be read, whatever the reason.
            throw new IOException($"Cannot read {file.Path}: {e.Message}", e);
        }
    }
}
