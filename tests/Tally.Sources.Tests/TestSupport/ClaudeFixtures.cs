using Tally.Ingest;
using Tally.Projects;
using Tally.Sources.ClaudeCode;

namespace Tally.Sources.Tests.TestSupport;

/// <summary>Reads the hand-written Claude Code fixtures.</summary>
internal static class ClaudeFixtures
{
    public static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "claude", name);

    public static ClaudeCodeSource Source(string? home = null) =>
        new(new AgentEnvironment(home ?? Path.GetTempPath(), new Dictionary<string, string>()), new ProjectKeyResolver());

    public static FileReadResult Read(string name) => ReadFile(PathOf(name));

    public static FileReadResult ReadFile(string path, ReadStart? start = null) =>
        Source().Read(Live(path), start ?? ReadStart.Beginning);

    /// <summary>
    /// The file as discovery would see it while Claude Code is still writing it. (A fixture's own
    /// write time is whenever the build copied it, which may be long ago.)
    /// </summary>
    public static LogFile Live(string path) => new(path, new FileInfo(path).Length, DateTimeOffset.UtcNow);

    /// <summary>The file as discovery sees a session that ended long ago.</summary>
    public static LogFile Finished(string path) => new(path, new FileInfo(path).Length, DateTimeOffset.UtcNow.AddDays(-2));

    /// <summary>The byte offset where 1-based line <paramref name="lineNumber"/> starts.</summary>
    public static long OffsetOfLine(string path, int lineNumber)
    {
        var bytes = File.ReadAllBytes(path);
        var line = 1;
        for (var i = 0; i < bytes.Length && line < lineNumber; i++)
        {
            if (bytes[i] == (byte)'\n')
            {
                line++;
                if (line == lineNumber)
                {
                    return i + 1;
                }
            }
        }

        return lineNumber == 1 ? 0 : throw new ArgumentOutOfRangeException(nameof(lineNumber));
    }
}
