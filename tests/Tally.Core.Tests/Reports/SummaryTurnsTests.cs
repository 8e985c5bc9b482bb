using Tally.Core.Tests.TestDoubles;
using Tally.Ledger;
using Tally.Model;
using Tally.Pricing;
using Tally.Reports;

namespace Tally.Core.Tests.Reports;

public sealed class SummaryTurnsTests
{
    private static async Task<SummaryReport> Summarize(params (string Source, StopReason Stop, long Calls)[] groups)
    {
        var ledger = new TestLedger();
        foreach (var (source, stop, calls) in groups)
        {
            ledger.Aggregates.Add(new UsageAggregate(null, 0, source, "claude-sonnet-4-5", "anthropic", 0, stop, false, calls,
                new TokenUsage(10 * calls, 0, 0, 0, calls, null), null));
        }

        return await SummaryQuery.RunAsync(ledger, PriceCatalog.Embedded, new SummaryOptions(CallFilter.All, SummaryGrouping.Model, TimeZoneInfo.Utc));
    }

    [Fact]
    public async Task A_turn_ends_at_a_call_that_ended_it_and_tool_calls_continue_it()
    {
        var report = await Summarize(
            (SourceNames.ClaudeCode, StopReason.ToolUse, 9),
            (SourceNames.ClaudeCode, StopReason.EndTurn, 3),
            (SourceNames.ClaudeCode, StopReason.MaxTokens, 1),
            (SourceNames.ClaudeCode, StopReason.PauseTurn, 2),
            (SourceNames.Codex, StopReason.Unknown, 5));

        Assert.Equal(20, report.Totals.Calls);
        Assert.Equal(4, report.Turns);
        Assert.Equal(15, report.CallsWithOutcome);
    }

    [Fact]
    public async Task Without_any_recorded_outcome_turns_are_unknown_not_zero()
    {
        var report = await Summarize((SourceNames.Codex, StopReason.Unknown, 5));

        Assert.Null(report.Turns);
        Assert.Equal(0, report.CallsWithOutcome);
    }
}
