using System.Text.Json;
using Spectre.Console;
using Tally.Ingest;
using Tally.Projects;
using Tally.Sources.ClaudeCode;

namespace Tally.Cli.Commands;

/// <summary>
/// <c>tally ingest --hook claude</c>, for Claude Code's <c>Stop</c> and <c>SessionEnd</c> hooks. The
/// payload on stdin names the session's transcript (<c>transcript_path</c>); that file and its
/// subagent transcripts are ingested, through the same reader and cursors as a full sweep.
/// </summary>
/// <remarks>
/// A hook must never disturb the agent: nothing goes to stdout, any failure is one line on
/// stderr, and the exit code is always 0. A payload without a transcript path falls back to a
/// sweep of all Claude Code logs; an empty or unreadable payload does nothing.
/// </remarks>
internal static class ClaudeHook
{
    public static async Task<int> RunAsync(string? ledgerOption, TextReader stdin, CliConsoles consoles, CancellationToken ct)
    {
        try
        {
            var payload = await stdin.ReadToEndAsync(ct);
            if (string.IsNullOrWhiteSpace(payload))
            {
                return ExitCodes.Ok;
            }

            string? transcript;
            using (var document = JsonDocument.Parse(payload))
            {
                transcript = document.RootElement.ValueKind == JsonValueKind.Object
                    && document.RootElement.TryGetProperty("transcript_path", out var path)
                    && path.ValueKind == JsonValueKind.String ? path.GetString() : null;
            }

            var environment = AgentEnvironment.Current;
            await using var context = await TallyContext.OpenAsync(ledgerOption, environment, ct);
            IUsageSource source = new ClaudeCodeSource(environment, new ProjectKeyResolver());
            if (!string.IsNullOrEmpty(transcript))
            {
                source = new SelectedFilesSource(source, SessionFiles(environment.ExpandPath(transcript)));
            }

            await context.Ingester([source]).RunAsync(cancellationToken: ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            consoles.Error.WriteLine($"tally: the hook could not ingest the session: {e.Message}");
        }

        return ExitCodes.Ok;
    }

    /// <summary>A transcript and the subagent transcripts beside it (<c>&lt;session&gt;/subagents/*.jsonl</c>).</summary>
    internal static IReadOnlyList<string> SessionFiles(string transcript)
    {
        var subagents = Path.Combine(Path.GetDirectoryName(transcript) ?? "", Path.GetFileNameWithoutExtension(transcript), "subagents");
        return Directory.Exists(subagents)
            ? [transcript, .. Directory.EnumerateFiles(subagents, "*.jsonl").Order(StringComparer.Ordinal)]
            : [transcript];
    }
}
