using Tally.Model;

namespace Tally.Reports;

/// <summary>Usage and cost, grouped; the result of <see cref="SummaryQuery"/>.</summary>
/// <param name="GroupBy">What the rows are.</param>
/// <param name="TimeZone">The time zone of day boundaries (IANA id).</param>
/// <param name="Rows">The rows: time groupings in time order, the others by cost, highest first.</param>
/// <param name="Totals">All calls of the report.</param>
/// <param name="UnpricedModels">Models with no price, most calls first.</param>
/// <param name="StopReasons">How calls ended: a count for every <see cref="StopReason"/>.</param>
/// <param name="CacheChecks">For rows by day: each day's cache hit ratio against the days before it (see <see cref="CacheRegressions"/>); null for other groupings.</param>
public sealed record SummaryReport(
    SummaryGrouping GroupBy,
    string TimeZone,
    IReadOnlyList<UsageRow> Rows,
    UsageRow Totals,
    IReadOnlyList<UnpricedModel> UnpricedModels,
    IReadOnlyDictionary<StopReason, long> StopReasons,
    IReadOnlyDictionary<string, CacheCheck>? CacheChecks = null)
{
    /// <summary>
    /// How many turns the calls made, where the source records how each call ended: a turn is the
    /// calls up to one that ended it (end turn, stop sequence, max tokens, refusal), so this
    /// counts those; a call that asked for a tool or paused continues its turn. Null when no call
    /// has a known stop reason (Codex and Gemini CLI record none), since turns cannot be told apart then.
    /// </summary>
    public long? Turns
    {
        get
        {
            var known = StopReasons.Where(r => r.Key != StopReason.Unknown).Sum(r => r.Value);
            return known == 0 ? null : StopReasons.Where(r => EndsTurn(r.Key)).Sum(r => r.Value);
        }
    }

    /// <summary>Calls whose stop reason is known, the calls <see cref="Turns"/> is counted over.</summary>
    public long CallsWithOutcome => StopReasons.Where(r => r.Key != StopReason.Unknown).Sum(r => r.Value);

    private static bool EndsTurn(StopReason reason) =>
        reason is StopReason.EndTurn or StopReason.StopSequence or StopReason.MaxTokens or StopReason.Refusal;
}
