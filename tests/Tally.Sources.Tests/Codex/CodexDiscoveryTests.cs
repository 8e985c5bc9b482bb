using Tally.Ingest;
using Tally.Projects;
using Tally.Sources.Codex;
using Tally.Sources.Tests.TestSupport;

namespace Tally.Sources.Tests.Codex;

public sealed class CodexDiscoveryTests
{
    private static SourceDiscovery Discover(string home, params (string Name, string Value)[] variables) =>
        new CodexSource(
            new AgentEnvironment(home, variables.ToDictionary(v => v.Name, v => v.Value)),
            new ProjectKeyResolver()).Discover();

    private const string NameA = "rollout-2025-10-01T12-00-00-0199a000-0000-7000-8000-00000000000a.jsonl";
    private const string NameB = "rollout-2025-10-02T12-00-00-0199a000-0000-7000-8000-00000000000b.jsonl";

    [Fact]
    public void Default_IsDotCodex_BothActiveAndArchived()
    {
        using var home = new TestDirectory();
        var active = home.WriteFile($".codex/sessions/2025/10/01/{NameA}", "{}\n");
        var archived = home.WriteFile($".codex/archived_sessions/{NameB}", "{}\n");
        home.WriteFile(".codex/sessions/2025/10/01/notes.jsonl", "{}\n");
        home.WriteFile(".codex/history.jsonl", "{}\n");

        var found = Discover(home.Path);

        Assert.Equal(
            [Path.Combine(home.Path, ".codex", "sessions"), Path.Combine(home.Path, ".codex", "archived_sessions")],
            found.SearchedRoots);
        Assert.Equal(new[] { active, archived }.Order(StringComparer.Ordinal), found.Files.Select(f => f.Path));
    }

    [Fact]
    public void CodexHome_CommaList_ActiveCopyWinsOverArchived()
    {
        using var home = new TestDirectory();
        var first = home.CreateDirectory("one");
        var second = Path.Combine(home.Path, "two"); // does not exist: still listed as searched
        var active = home.WriteFile($"one/sessions/2025/10/01/{NameA}", "{}\n");
        home.WriteFile($"one/archived_sessions/{NameA}", "{}\n");
        var archivedOnly = home.WriteFile($"one/archived_sessions/{NameB}", "{}\n");

        var found = Discover(home.Path, ("CODEX_HOME", $"{first}, {second},{first}"));

        Assert.Equal(
        [
            Path.Combine(first, "sessions"), Path.Combine(first, "archived_sessions"),
            Path.Combine(second, "sessions"), Path.Combine(second, "archived_sessions"),
        ], found.SearchedRoots);
        Assert.Equal(new[] { active, archivedOnly }.Order(StringComparer.Ordinal), found.Files.Select(f => f.Path));
    }

    [Fact]
    public void CodexHome_TildeIsExpanded()
    {
        using var home = new TestDirectory();
        var file = home.WriteFile($"alt/sessions/{NameA}", "{}\n");

        var found = Discover(home.Path, ("CODEX_HOME", "~/alt"));

        Assert.Equal([file], found.Files.Select(f => f.Path));
    }
}
