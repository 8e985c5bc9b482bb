using Tally.Ingest;
using Tally.Model;
using Tally.Projects;
using Tally.Sources.Events;
using Tally.Sources.Tests.TestSupport;

namespace Tally.Sources.Tests.Events;

public sealed class UsageEventDiscoveryTests
{
    [Fact]
    public void Name_IsEvents()
    {
        Assert.Equal("events", EventFixtures.Source().Name);
        Assert.Equal(SourceNames.Events, EventFixtures.Source().Name);
    }

    [Fact]
    public void Discover_ListsExistingFiles_AndSearchedEveryPathGiven()
    {
        using var dir = new TestDirectory();
        var a = dir.WriteFile("a.jsonl", "");
        var b = dir.WriteFile("sub/b.jsonl", "{}\n");
        var missing = Path.Combine(dir.Path, "missing.jsonl");
        var folder = dir.CreateDirectory("folder");

        var discovery = new UsageEventFiles([b, missing, a, folder, b], new ProjectKeyResolver()).Discover();

        Assert.Equal([b, missing, a, folder], discovery.SearchedRoots);
        Assert.Equal([b, a], discovery.Files.Select(f => f.Path));
        Assert.Equal([3L, 0L], discovery.Files.Select(f => f.Size));
    }

    [Fact]
    public void Discover_ResolvesRelativePathsWhenConstructed()
    {
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, EventFixtures.PathOf("llm-usage.jsonl"));

        var discovery = new UsageEventFiles([relative], new ProjectKeyResolver()).Discover();

        Assert.Equal(EventFixtures.PathOf("llm-usage.jsonl"), Assert.Single(discovery.Files).Path);
    }

    [Fact]
    public void Constructor_RejectsAnEmptyPath()
    {
        Assert.Throws<ArgumentException>(() => new UsageEventFiles(["a.jsonl", " "], new ProjectKeyResolver()));
    }

    [Fact]
    public void Read_OfAFileThatVanished_ThrowsIOException()
    {
        using var dir = new TestDirectory();
        var path = Path.Combine(dir.Path, "gone.jsonl");
        var source = EventFixtures.Source(path);

        Assert.ThrowsAny<IOException>(() => source.Read(new LogFile(path, 10, DateTimeOffset.UtcNow), ReadStart.Beginning));
    }
}
