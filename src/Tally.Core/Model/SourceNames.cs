namespace Tally.Model;

/// <summary>The source names that <c>--source</c> takes and the ledger stores.</summary>
public static class SourceNames
{
    /// <summary>Claude Code session logs.</summary>
    public const string ClaudeCode = "claude-code";
    /// <summary>Codex CLI rollout logs.</summary>
    public const string Codex = "codex";
    /// <summary>OpenCode storage.</summary>
    public const string OpenCode = "opencode";
    /// <summary>Gemini CLI chats.</summary>
    public const string Gemini = "gemini";
    /// <summary>Imported usage-event files.</summary>
    public const string Events = "events";
    /// <summary>Recorded by the .NET SDK.</summary>
    public const string Sdk = "sdk";

    /// <summary>Every known source name.</summary>
    public static IReadOnlyList<string> All { get; } = [ClaudeCode, Codex, OpenCode, Gemini, Events, Sdk];
}
