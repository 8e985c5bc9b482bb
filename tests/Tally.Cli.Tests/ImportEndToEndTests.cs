namespace Tally.Cli.Tests;

/// <summary><c>tally import</c> through the built CLI, over the event fixtures of <c>Tally.Sources.Tests</c>.</summary>
public sealed class ImportEndToEndTests : IDisposable
{
    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "events", name);

    [Fact]
    public async Task Importing_adds_the_good_lines_reports_the_bad_ones_and_a_second_import_adds_nothing()
    {
        var events = Path.Combine(_cli.Home, "events.jsonl");
        File.Copy(Fixture("tally-calls.jsonl"), events);
        var bad = Path.Combine(_cli.Home, "bad.jsonl");
        File.Copy(Fixture("bad-lines.jsonl"), bad);

        var first = await _cli.JsonAsync("import", events, bad);
        var second = await _cli.JsonAsync("import", events, bad);
        var summary = await _cli.JsonAsync("summary", "--source", "events");
        var lines = await _cli.RunAsync("import", bad);

        var added = first.GetProperty("callsAdded").GetInt64();
        Assert.True(added > 0);
        Assert.Equal(0, second.GetProperty("callsAdded").GetInt64());
        Assert.Equal(added, summary.GetProperty("totals").GetProperty("calls").GetInt64());
        var skipped = first.GetProperty("skipped").EnumerateArray().ToList();
        Assert.NotEmpty(skipped);
        Assert.All(skipped, s => Assert.Equal(bad, s.GetProperty("path").GetString()));
        Assert.Contains(skipped, s => s.GetProperty("line").GetInt64() == 2 && s.GetProperty("reason").GetString() == "not JSON");
        Assert.Equal(0, lines.ExitCode);
    }

    [Fact]
    public async Task Importing_a_missing_file_is_a_usage_error()
    {
        var result = await _cli.RunAsync("import", Path.Combine(_cli.Home, "nope.jsonl"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("No such file", result.Stderr);
    }
}
