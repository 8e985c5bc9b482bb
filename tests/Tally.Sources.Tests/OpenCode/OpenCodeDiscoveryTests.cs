using Tally.Ingest;
using Tally.Projects;
using Tally.Sources.OpenCode;
using Tally.Sources.Tests.TestSupport;

namespace Tally.Sources.Tests.OpenCode;

public sealed class OpenCodeDiscoveryTests
{
    private static SourceDiscovery Discover(string home, params (string Name, string Value)[] variables) =>
        new OpenCodeSource(
            new AgentEnvironment(home, variables.ToDictionary(v => v.Name, v => v.Value)),
            new ProjectKeyResolver()).Discover();

    [Fact]
    public void Default_IsLocalShareOpencode_WithDatabasesAndMessageFiles()
    {
        using var home = new TestDirectory();
        var data = Path.Combine(home.Path, ".local", "share", "opencode");
        var db = home.WriteFile(".local/share/opencode/opencode.db", "db");
        var extra = home.WriteFile(".local/share/opencode/opencode-beta.db", "db2");
        home.WriteFile(".local/share/opencode/other.db", "not ours");
        var message = home.WriteFile(".local/share/opencode/storage/message/ses_1/msg_1.json", "{}");
        home.WriteFile(".local/share/opencode/storage/part/msg_1/prt_1.json", "{}"); // parts are read with their message
        home.WriteFile(".local/share/opencode/storage/session/global/ses_1.json", "{}");

        var found = Discover(home.Path);

        Assert.Equal([data], found.SearchedRoots);
        Assert.Equal(new[] { db, extra, message }.Order(StringComparer.Ordinal), found.Files.Select(f => f.Path));
    }

    [Fact]
    public void XdgDataHome_IsHonoured_AndAMissingRootIsStillListed()
    {
        using var home = new TestDirectory();
        var xdg = home.CreateDirectory("xdg");
        home.WriteFile(".local/share/opencode/opencode.db", "db"); // not the default any more
        var db = home.WriteFile("xdg/opencode/opencode.db", "db");

        Assert.Equal([db], Discover(home.Path, ("XDG_DATA_HOME", xdg)).Files.Select(f => f.Path));

        var missing = Discover(home.Path, ("XDG_DATA_HOME", Path.Combine(home.Path, "nowhere")));
        Assert.Equal([Path.Combine(home.Path, "nowhere", "opencode")], missing.SearchedRoots);
        Assert.Empty(missing.Files);
    }

    [Fact]
    public void DataDir_CommaList_WithTildeStorageEntryEmptiesAndDuplicates()
    {
        using var home = new TestDirectory();
        var a = home.WriteFile("a/opencode.db", "db");
        var b = home.WriteFile("b/storage/message/ses_b/msg_b.json", "{}");
        home.WriteFile(".local/share/opencode/opencode.db", "db"); // the default is not searched when the variable is set

        var found = Discover(home.Path, ("OPENCODE_DATA_DIR", " ~/a , ,~/b/storage,~/a"));

        Assert.Equal([Path.Combine(home.Path, "a"), Path.Combine(home.Path, "b")], found.SearchedRoots);
        Assert.Equal([a, b], found.Files.Select(f => f.Path));
    }

    [Fact]
    public void Database_SizeAndTime_IncludeTheWriteAheadLog()
    {
        using var home = new TestDirectory();
        var db = home.WriteFile(".local/share/opencode/opencode.db", "12345");
        var wal = home.WriteFile(".local/share/opencode/opencode.db-wal", "1234567");
        File.SetLastWriteTimeUtc(db, new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        File.SetLastWriteTimeUtc(wal, new DateTime(2026, 2, 1, 0, 0, 0, DateTimeKind.Utc));

        var file = Assert.Single(Discover(home.Path).Files);

        Assert.Equal(db, file.Path);
        Assert.Equal(12, file.Size);
        Assert.Equal(new DateTimeOffset(2026, 2, 1, 0, 0, 0, TimeSpan.Zero), file.ModifiedUtc);
    }

    [Fact]
    public void FixtureTree_IsDiscoveredThroughDataDir_AndEveryFileReadsWithoutThrowing()
    {
        var source = new OpenCodeSource(new AgentEnvironment(Path.GetTempPath(),
            new Dictionary<string, string> { ["OPENCODE_DATA_DIR"] = OpenCodeFixtures.Tree }));

        var found = source.Discover();

        Assert.Equal(7, found.Files.Count);
        var calls = found.Files.SelectMany(f => source.Read(f, ReadStart.Beginning).Calls).ToList();
        Assert.Equal(3, calls.Count);
    }
}
