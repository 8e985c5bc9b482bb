using Tally.Ingest;
using Tally.Projects;
using Tally.Sources.Codex;

namespace Tally.Sources.Tests.Codex;

/// <summary>Reads the hand-written Codex fixtures.</summary>
internal static class CodexFixtures
{
    public static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "codex", name);

    public static CodexSource Source() =>
        new(new AgentEnvironment(Path.GetTempPath(), new Dictionary<string, string>()), new ProjectKeyResolver());

    public static FileReadResult Read(string name, ReadStart? start = null) => ReadFile(PathOf(name), start);

    public static FileReadResult ReadFile(string path, ReadStart? start = null) =>
        Source().Read(LogFile.From(new FileInfo(path)), start ?? ReadStart.Beginning);
}
