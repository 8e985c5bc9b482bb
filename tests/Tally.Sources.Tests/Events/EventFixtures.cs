using Tally.Ingest;
using Tally.Projects;
using Tally.Sources.Events;

namespace Tally.Sources.Tests.Events;

/// <summary>Reads the hand-written usage-event fixtures.</summary>
internal static class EventFixtures
{
    public static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "events", name);

    public static UsageEventFiles Source(params string[] paths) => new(paths, new ProjectKeyResolver());

    public static FileReadResult Read(string name) => ReadFile(PathOf(name));

    public static FileReadResult ReadFile(string path, ReadStart? start = null) =>
        Source(path).Read(LogFile.From(new FileInfo(path)), start ?? ReadStart.Beginning);
}
