using Tally.Ingest;
using Tally.Projects;
using Tally.Sources.ClaudeCode;
using Tally.Sources.Tests.TestSupport;

namespace Tally.Sources.Tests.ClaudeCode;

public sealed class ClaudeCodeDiscoveryTests
{
    private static SourceDiscovery Discover(string home, params (string Name, string Value)[] variables) =>
        new ClaudeCodeSource(
            new AgentEnvironment(home, variables.ToDictionary(v => v.Name, v => v.Value)),
            new ProjectKeyResolver()).Discover();

    private static string Transcript(TestDirectory home, string relative) => home.WriteFile(relative, "{}\n");

    [Fact]
    public void Defaults_SearchBothXdgConfigAndDotClaude()
    {
        using var home = new TestDirectory();
        var inDotClaude = Transcript(home, ".claude/projects/-home-dev-api/a.jsonl");
        var inXdg = Transcript(home, ".config/claude/projects/-home-dev-web/b.jsonl");

        var found = Discover(home.Path);

        Assert.Equal(
            [Path.Combine(home.Path, ".config", "claude", "projects"), Path.Combine(home.Path, ".claude", "projects")],
            found.SearchedRoots);
        Assert.Equal(new[] { inDotClaude, inXdg }.Order(StringComparer.Ordinal), found.Files.Select(f => f.Path));
    }

    [Fact]
    public void Defaults_HonourXdgConfigHome_AndListRootsThatDoNotExist()
    {
        using var home = new TestDirectory();
        var xdg = home.CreateDirectory("xdg");

        var found = Discover(home.Path, ("XDG_CONFIG_HOME", xdg));

        Assert.Equal([Path.Combine(xdg, "claude", "projects"), Path.Combine(home.Path, ".claude", "projects")], found.SearchedRoots);
        Assert.Empty(found.Files);
    }

    [Fact]
    public void ConfigDir_CommaList_WithTildeTrailingProjectsEmptyEntriesAndDuplicates()
    {
        using var home = new TestDirectory();
        var a = Transcript(home, "work-claude/projects/-p/a.jsonl");
        var b = Transcript(home, "personal/projects/-q/b.jsonl");
        Transcript(home, ".claude/projects/-r/ignored.jsonl"); // the default is not searched when the variable is set

        var found = Discover(home.Path, ("CLAUDE_CONFIG_DIR", " ~/work-claude , ,~/personal/projects/,~/work-claude,~/missing"));

        Assert.Equal(
        [
            Path.Combine(home.Path, "work-claude", "projects"),
            Path.Combine(home.Path, "personal", "projects"),
            Path.Combine(home.Path, "missing", "projects"),
        ], found.SearchedRoots);
        Assert.Equal(new[] { a, b }.Order(StringComparer.Ordinal), found.Files.Select(f => f.Path));
    }

    [Fact]
    public void Discovery_FindsSubagentTranscriptsAndOnlyJsonl()
    {
        var root = ClaudeFixtures.PathOf("subagent");

        var found = Discover(Path.GetTempPath(), ("CLAUDE_CONFIG_DIR", root));

        var project = Path.Combine(root, "projects", "-home-dev-work-api");
        Assert.Equal(
        [
            Path.Combine(project, "7d3e5b10-0009-4c3b-9d2e-000000000009.jsonl"), // '.' sorts before '/'
            Path.Combine(project, "7d3e5b10-0009-4c3b-9d2e-000000000009", "subagents", "agent-a1b2c3.jsonl"),
        ], found.Files.Select(f => f.Path));
        Assert.All(found.Files, f => Assert.Equal(new FileInfo(f.Path).Length, f.Size));
    }

    [Fact]
    public void Discovery_ListsTheSameRealFileOnce()
    {
        using var home = new TestDirectory();
        var real = Transcript(home, ".claude/projects/-p/a.jsonl");
        // ~/.config/claude is a link to ~/.claude, as some installs set it up.
        Directory.CreateDirectory(Path.Combine(home.Path, ".config"));
        Directory.CreateSymbolicLink(Path.Combine(home.Path, ".config", "claude"), Path.Combine(home.Path, ".claude"));
        // And a project directory linked inside the tree, pointing back at a sibling.
        Directory.CreateSymbolicLink(Path.Combine(home.Path, ".claude", "projects", "-p-alias"), Path.Combine(home.Path, ".claude", "projects", "-p"));

        var found = Discover(home.Path);

        var file = Assert.Single(found.Files);
        Assert.Equal(Path.GetFileName(real), Path.GetFileName(file.Path));
        Assert.Equal(2, found.SearchedRoots.Count);
    }

    [Fact]
    public void Discovery_SurvivesALinkCycle()
    {
        using var home = new TestDirectory();
        Transcript(home, ".claude/projects/-p/a.jsonl");
        Directory.CreateSymbolicLink(Path.Combine(home.Path, ".claude", "projects", "-p", "loop"), Path.Combine(home.Path, ".claude", "projects"));

        var found = Discover(home.Path);

        Assert.Single(found.Files);
    }

    [Fact]
    public void Source_IsNamedClaudeCode()
    {
        Assert.Equal("claude-code", ClaudeFixtures.Source().Name);
    }
}
