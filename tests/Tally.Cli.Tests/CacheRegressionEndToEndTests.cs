using System.Globalization;
using System.Text;

namespace Tally.Cli.Tests;

/// <summary><c>tally summary --by day</c> flags a day whose cache hit ratio collapsed against the days before it.</summary>
public sealed class CacheRegressionEndToEndTests : IDisposable
{
    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task A_day_far_below_its_trailing_median_is_flagged_in_json_and_explained_under_the_table()
    {
        // Four days reading 90 % of their input from the cache, then a day reading 10 %.
        var events = new StringBuilder();
        for (var day = 1; day <= 5; day++)
        {
            var cacheRead = day == 5 ? 100 : 900;
            var input = 1000 - cacheRead;
            events.Append(CultureInfo.InvariantCulture,
                $"{{\"schema\":\"tally.llm_call/1\",\"id\":\"c{day}\",\"timestamp\":\"2026-03-0{day}T12:00:00Z\",\"provider\":\"anthropic\",")
                .Append(CultureInfo.InvariantCulture,
                $"\"model\":\"claude-sonnet-4-5\",\"session\":\"s\",\"tokens\":{{\"input\":{input},\"cacheRead\":{cacheRead},\"cacheWrite5m\":0,\"cacheWrite1h\":0,\"output\":10}}}}")
                .Append('\n');
        }

        var file = Path.Combine(_cli.Home, "calls.jsonl");
        await File.WriteAllTextAsync(file, events.ToString());
        Assert.Equal(0, (await _cli.RunAsync("import", file)).ExitCode);

        var json = await _cli.JsonAsync("summary", "--by", "day", "--timezone", "UTC");
        var table = await _cli.RunAsync("summary", "--by", "day", "--timezone", "UTC");

        var rows = json.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(5, rows.Count);
        Assert.All(rows.Take(4), r => Assert.False(r.GetProperty("cacheRegression").GetBoolean()));
        Assert.True(rows[4].GetProperty("cacheRegression").GetBoolean());
        Assert.Equal(0.9, rows[4].GetProperty("cacheHitRatioTrailingMedian").GetDouble());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, rows[0].GetProperty("cacheHitRatioTrailingMedian").ValueKind);
        Assert.Contains("10.0% !", table.Stdout, StringComparison.Ordinal);
        Assert.Contains("! cache regression:", table.Stdout, StringComparison.Ordinal);
    }
}
