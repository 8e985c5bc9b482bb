using Tally.Ledger;
using Tally.Model;

namespace Tally.Reports;

/// <summary>Sums priced aggregates into a <see cref="UsageRow"/>: unpriced calls are counted, never costed as $0.</summary>
internal sealed class UsageAccumulator
{
    private long _calls;
    private TokenUsage _tokens;
    private decimal _cost;
    private bool _anyPriced;
    private long _unpricedCalls;

    public void Add(UsageAggregate aggregate, decimal? cost)
    {
        _calls += aggregate.Calls;
        _tokens += aggregate.Tokens;
        if (cost is { } c)
        {
            _cost += c;
            _anyPriced = true;
        }
        else
        {
            _unpricedCalls += aggregate.Calls;
        }
    }

    public UsageRow ToRow(string? key) => new(key, _calls, _tokens, _anyPriced ? _cost : null, _unpricedCalls);
}
