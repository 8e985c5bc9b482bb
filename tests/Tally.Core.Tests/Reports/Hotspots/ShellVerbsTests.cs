using Tally.Reports.Hotspots;

namespace Tally.Core.Tests.Reports.Hotspots;

public sealed class ShellVerbsTests
{
    [Theory]
    [InlineData("git status", "git")]
    [InlineData("cd src/api && npm test", "npm")]
    [InlineData("cd src; cd api; dotnet build -c Release", "dotnet")]
    [InlineData("sudo apt-get install -y jq", "apt-get")]
    [InlineData("sudo -u postgres psql -c 'select 1'", "psql")]
    [InlineData("env FOO=1 BAR=\"a b\" dotnet test", "dotnet")]
    [InlineData("FOO=1 BAR=2 make all", "make")]
    [InlineData("time cargo build --release", "cargo")]
    [InlineData("nohup python server.py > log 2>&1 &", "python")]
    [InlineData("timeout 30s ./gradlew check", "gradlew")]
    [InlineData("/usr/bin/git log --oneline | head -5", "git")]
    [InlineData("bash -c 'cd web && yarn lint'", "yarn")]
    [InlineData("bash -lc \"pytest -q\"", "pytest")]
    [InlineData("(cd tests && go test ./...)", "go")]
    [InlineData("cd /tmp", "cd")]
    [InlineData("  ", null)]
    [InlineData("FOO=1", null)]
    public void The_verb_is_the_first_program_after_wrappers_and_directory_changes(string command, string? verb) =>
        Assert.Equal(verb, ShellVerbs.Verb(command));
}
