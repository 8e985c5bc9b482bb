using Tally.Projects;
using Tally.Sources.Tests.TestSupport;

namespace Tally.Sources.Tests.Projects;

public sealed class ProjectKeyResolverTests
{
    [Theory]
    [InlineData("git@github.com:AgentWorkforce/burn.git", "github.com/AgentWorkforce/burn")]
    [InlineData("https://github.com/dotnet/runtime.git", "github.com/dotnet/runtime")]
    [InlineData("https://github.com/dotnet/runtime", "github.com/dotnet/runtime")]
    [InlineData("https://user:token@GitHub.com/Foo/Bar.git/", "github.com/Foo/Bar")]
    [InlineData("ssh://git@GITLAB.example.com:2222/group/sub/repo.git", "gitlab.example.com/group/sub/repo")]
    [InlineData("git://git.kernel.org/pub/scm/git/git.git", "git.kernel.org/pub/scm/git/git")]
    [InlineData("  git@bitbucket.org:team/app  ", "bitbucket.org/team/app")]
    [InlineData("example.com:owner/repo.git", "example.com/owner/repo")]
    public void Canonicalize_KnownForms(string url, string expected)
    {
        Assert.Equal(expected, ProjectKeyResolver.CanonicalizeRemoteUrl(url));
    }

    [Theory]
    [InlineData("")]
    [InlineData("/srv/git/repo.git")]
    [InlineData("../sibling")]
    [InlineData("C:\\repos\\app")]
    [InlineData("file:///srv/git/repo.git")]
    [InlineData("https://example.com/")]
    public void Canonicalize_LocalOrUnrecognised_IsNull(string url)
    {
        Assert.Null(ProjectKeyResolver.CanonicalizeRemoteUrl(url));
    }

    private static void WriteConfig(string gitDirectory, string config)
    {
        Directory.CreateDirectory(gitDirectory);
        File.WriteAllText(Path.Combine(gitDirectory, "config"), config);
    }

    [Fact]
    public void Resolve_WalksUpToTheRepositoryAndReadsOrigin()
    {
        using var temp = new TestDirectory();
        WriteConfig(Path.Combine(temp.Path, "api", ".git"), """
            [core]
            	repositoryformatversion = 0
            [remote "upstream"]
            	url = git@github.com:someone-else/api.git
            [Remote "origin"] # section names ignore case
            	URL = "git@github.com:dev/api.git" ; a comment
            	fetch = +refs/heads/*:refs/remotes/origin/*
            	url = https://mirror.example.com/dev/api.git
            """);
        var nested = temp.CreateDirectory(Path.Combine("api", "src", "parser"));

        Assert.Equal("github.com/dev/api", new ProjectKeyResolver().Resolve(nested));
    }

    [Fact]
    public void Resolve_WithoutRemote_IsTheWorktreeRoot()
    {
        using var temp = new TestDirectory();
        WriteConfig(Path.Combine(temp.Path, "local", ".git"), "[core]\n\tbare = false\n");
        var nested = temp.CreateDirectory(Path.Combine("local", "docs"));

        Assert.Equal(Path.Combine(temp.Path, "local"), new ProjectKeyResolver().Resolve(nested + Path.DirectorySeparatorChar));
    }

    [Fact]
    public void Resolve_LinkedWorktree_FollowsGitdirAndCommondir()
    {
        using var temp = new TestDirectory();
        var mainGit = Path.Combine(temp.Path, "main", ".git");
        WriteConfig(mainGit, "[remote \"origin\"]\n\turl = https://github.com/dev/api\n");
        var worktreeGit = temp.CreateDirectory(Path.Combine("main", ".git", "worktrees", "feature"));
        File.WriteAllText(Path.Combine(worktreeGit, "commondir"), "../..\n");
        var worktree = temp.CreateDirectory("feature-checkout");
        File.WriteAllText(Path.Combine(worktree, ".git"), $"gitdir: {worktreeGit}\n");

        Assert.Equal("github.com/dev/api", new ProjectKeyResolver().Resolve(worktree));
    }

    [Fact]
    public void Resolve_LinkedWorktreeWithoutRemote_IsTheMainWorktreeRoot()
    {
        using var temp = new TestDirectory();
        WriteConfig(Path.Combine(temp.Path, "main", ".git"), "[core]\n");
        var worktreeGit = temp.CreateDirectory(Path.Combine("main", ".git", "worktrees", "feature"));
        File.WriteAllText(Path.Combine(worktreeGit, "commondir"), "../..");
        var worktree = temp.CreateDirectory("feature-checkout");
        // A relative gitdir, as `git worktree add --relative-paths` writes.
        File.WriteAllText(Path.Combine(worktree, ".git"), "gitdir: ../main/.git/worktrees/feature\n");

        Assert.Equal(Path.Combine(temp.Path, "main"), new ProjectKeyResolver().Resolve(Path.Combine(worktree)));
    }

    [Fact]
    public void Resolve_SubmoduleCheckout_ReadsTheSubmodulesOwnConfig()
    {
        using var temp = new TestDirectory();
        WriteConfig(Path.Combine(temp.Path, "app", ".git"), "[remote \"origin\"]\n\turl = git@github.com:dev/app.git\n");
        WriteConfig(Path.Combine(temp.Path, "app", ".git", "modules", "lib"), "[remote \"origin\"]\n\turl = https://github.com/dev/lib.git\n");
        var checkout = temp.CreateDirectory(Path.Combine("app", "lib"));
        File.WriteAllText(Path.Combine(checkout, ".git"), "gitdir: ../.git/modules/lib\n");

        var resolver = new ProjectKeyResolver();

        Assert.Equal("github.com/dev/lib", resolver.Resolve(checkout));
        Assert.Equal("github.com/dev/app", resolver.Resolve(Path.Combine(temp.Path, "app")));
    }

    [Fact]
    public void Resolve_NoRepositoryOrMissingDirectory_IsNull()
    {
        using var temp = new TestDirectory();
        var plain = temp.CreateDirectory("plain");
        var resolver = new ProjectKeyResolver();

        Assert.Null(resolver.Resolve(Path.Combine(temp.Path, "deleted-long-ago")));
        Assert.Null(resolver.Resolve(""));
        Assert.Null(resolver.Resolve(null));
        // The temp folder may itself sit inside a repository on a developer's machine; only assert
        // when it does not.
        if (FindGitAbove(plain) is null)
        {
            Assert.Null(resolver.Resolve(plain));
        }
    }

    [Fact]
    public void Resolve_IsCachedPerDirectory()
    {
        using var temp = new TestDirectory();
        var git = Path.Combine(temp.Path, "repo", ".git");
        WriteConfig(git, "[remote \"origin\"]\n\turl = git@github.com:dev/first.git\n");
        var repo = Path.Combine(temp.Path, "repo");
        var resolver = new ProjectKeyResolver();

        var first = resolver.Resolve(repo);
        WriteConfig(git, "[remote \"origin\"]\n\turl = git@github.com:dev/second.git\n");

        Assert.Equal("github.com/dev/first", first);
        Assert.Equal(first, resolver.Resolve(repo));
        Assert.Equal("github.com/dev/second", new ProjectKeyResolver().Resolve(repo));
    }

    [Fact]
    public void Resolve_FromManyThreads_AgreesWithItself()
    {
        using var temp = new TestDirectory();
        WriteConfig(Path.Combine(temp.Path, "repo", ".git"), "[remote \"origin\"]\n\turl = git@github.com:dev/api.git\n");
        var directories = Enumerable.Range(0, 8).Select(i => temp.CreateDirectory(Path.Combine("repo", "d" + i))).ToArray();
        var resolver = new ProjectKeyResolver();

        var keys = Enumerable.Range(0, 400).AsParallel().Select(i => resolver.Resolve(directories[i % directories.Length])).ToArray();

        Assert.All(keys, k => Assert.Equal("github.com/dev/api", k));
    }

    [Fact]
    public void Source_ResolvesTheProjectKeyOfEachCall()
    {
        using var temp = new TestDirectory();
        WriteConfig(Path.Combine(temp.Path, "api", ".git"), "[remote \"origin\"]\n\turl = git@github.com:dev/api.git\n");
        var cwd = temp.CreateDirectory(Path.Combine("api", "src"));
        var path = temp.WriteFile("t.jsonl",
            "{\"cwd\":" + System.Text.Json.JsonSerializer.Serialize(cwd) + ",\"sessionId\":\"s\",\"message\":{\"model\":\"m\",\"id\":\"msg_A\",\"content\":[],\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":1,\"output_tokens\":1}},\"type\":\"assistant\",\"uuid\":\"a-1\",\"timestamp\":\"2026-05-01T00:00:00Z\"}\n");

        var call = Assert.Single(ClaudeFixtures.ReadFile(path).Calls);

        Assert.Equal(cwd, call.Project);
        Assert.Equal("github.com/dev/api", call.ProjectKey);
    }

    private static string? FindGitAbove(string directory)
    {
        for (var d = directory; d is not null; d = Path.GetDirectoryName(d))
        {
            if (Directory.Exists(Path.Combine(d, ".git")) || File.Exists(Path.Combine(d, ".git")))
            {
                return d;
            }
        }

        return null;
    }
}
