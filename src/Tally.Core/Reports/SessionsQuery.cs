using Tally.Ledger;
using Tally.Pricing;

namespace Tally.Reports;

/// <summary>
/// Recent sessions, newest first: when each ran, where, on which models, and what it cost. The
/// ledger gives each session's span and its usage per model and price band; this prices them as
/// <see cref="SummaryQuery"/> does and joins the two.
/// </summary>
public static class SessionsQuery
{
    /// <summary>Runs the query.</summary>
    /// <param name="ledger">The ledger.</param>
    /// <param name="prices">The price catalog.</param>
    /// <param name="filter">Which calls (and so which sessions).</param>
    /// <param name="limit">How many sessions at most, the most recent.</param>
    /// <param name="costMode">Where costs come from.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    public static async Task<IReadOnlyList<SessionRow>> RunAsync(
        ILedger ledger, PriceCatalog prices, CallFilter filter, int limit, CostMode costMode = CostMode.Auto,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(prices);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);

        var spans = await ledger.GetSessionSpansAsync(filter, cancellationToken).ConfigureAwait(false);
        var aggregates = await ledger.AggregateAsync(
            new UsageQuery(filter, LedgerGrouping.Session, prices.ContextThresholds), cancellationToken).ConfigureAwait(false);

        var usage = new Dictionary<(string Source, string Session), (UsageAccumulator Total, Dictionary<string, long> Models)>();
        foreach (var aggregate in aggregates)
        {
            var key = (aggregate.Source, aggregate.Key ?? "");
            if (!usage.TryGetValue(key, out var entry))
            {
                usage[key] = entry = (new UsageAccumulator(), new Dictionary<string, long>(StringComparer.Ordinal));
            }

            entry.Total.Add(aggregate, SummaryQuery.CostOf(aggregate, prices, costMode));
            entry.Models[aggregate.Model] = entry.Models.GetValueOrDefault(aggregate.Model) + aggregate.Calls;
        }

        return spans
            .OrderByDescending(s => s.Last)
            .ThenBy(s => s.SessionId, StringComparer.Ordinal)
            .Take(limit)
            .Select(s =>
            {
                var (total, models) = usage[(s.Source, s.SessionId)];
                return new SessionRow(
                    s.Source,
                    s.SessionId,
                    s.Project,
                    s.First,
                    s.Last,
                    models.OrderByDescending(m => m.Value).ThenBy(m => m.Key, StringComparer.Ordinal).Select(m => m.Key).ToList(),
                    total.ToRow(s.SessionId),
                    s.ParentSessionId);
            })
            .ToList();
    }
}
