using Tally.Ledger;
using Tally.Model;
using Tally.Pricing;

namespace Tally.Reports.Blocks;

/// <summary>
/// Five-hour billing windows, as ccusage's <c>blocks</c> computes them: calls in time order; the
/// first opens a window at its time floored to the UTC hour, lasting 5 hours; a call more than
/// 5 hours after the window opened, or more than 5 hours after the previous call, opens the next
/// one, and an idle spell of more than 5 hours between calls is shown as a gap
/// [previous call + 5 h, next call). A window is active while its last call is under 5 hours old
/// and its end is ahead.
/// </summary>
public static class BlocksQuery
{
    /// <summary>Runs the report; windows come oldest first.</summary>
    public static async Task<IReadOnlyList<BillingBlock>> RunAsync(
        ILedger ledger, PriceCatalog prices, BlocksOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(options);
        var calls = await ledger.ReadCallsAsync(options.Filter, cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false);
        return Build(calls, prices, options);
    }

    /// <summary>Builds the windows from calls already read (in any order).</summary>
    public static IReadOnlyList<BillingBlock> Build(IReadOnlyList<LlmCall> calls, PriceCatalog prices, BlocksOptions options)
    {
        ArgumentNullException.ThrowIfNull(calls);
        ArgumentNullException.ThrowIfNull(prices);
        ArgumentNullException.ThrowIfNull(options);
        var length = BlocksOptions.WindowLength;
        var ordered = calls.OrderBy(c => c.Timestamp).ThenBy(c => c.CallKey, StringComparer.Ordinal).ToList();
        var blocks = new List<BillingBlock>();
        Window? open = null;
        foreach (var call in ordered)
        {
            if (open is not null && (call.Timestamp - open.Start > length || call.Timestamp - open.Last > length))
            {
                blocks.Add(open.ToBlock(options.Now));
                if (call.Timestamp - open.Last > length)
                {
                    blocks.Add(Gap(open.Last + length, call.Timestamp));
                }

                open = null;
            }

            open ??= new Window(FloorToHour(call.Timestamp), call.Timestamp);
            open.Add(call, CallCosts.Of(call, prices, options.CostMode));
        }

        if (open is not null)
        {
            blocks.Add(open.ToBlock(options.Now));
        }

        return blocks;
    }

    internal static DateTimeOffset FloorToHour(DateTimeOffset instant)
    {
        var utc = instant.ToUniversalTime();
        return new DateTimeOffset(utc.Year, utc.Month, utc.Day, utc.Hour, 0, 0, TimeSpan.Zero);
    }

    private static BillingBlock Gap(DateTimeOffset start, DateTimeOffset end) =>
        new(start, end, null, false, true, 0, TokenUsage.None, null, 0, [], null, null);

    private sealed class Window(DateTimeOffset start, DateTimeOffset first)
    {
        private readonly Dictionary<string, long> _models = new(StringComparer.Ordinal);
        private long _calls;
        private TokenUsage _tokens;
        private decimal _cost;
        private bool _priced;
        private long _unpriced;

        public DateTimeOffset Start { get; } = start;

        public DateTimeOffset First { get; } = first;

        public DateTimeOffset Last { get; private set; } = first;

        public void Add(LlmCall call, decimal? cost)
        {
            _calls++;
            _tokens += call.Usage;
            Last = call.Timestamp;
            _models[call.Model] = _models.GetValueOrDefault(call.Model) + 1;
            if (cost is { } c)
            {
                _cost += c;
                _priced = true;
            }
            else
            {
                _unpriced++;
            }
        }

        public BillingBlock ToBlock(DateTimeOffset now)
        {
            var end = Start + BlocksOptions.WindowLength;
            var active = now - Last < BlocksOptions.WindowLength && now < end;
            decimal? cost = _priced ? _cost : null;
            var hours = (decimal)(Last - First).TotalMilliseconds / 3_600_000m;
            BurnRate? rate = hours > 0 ? new BurnRate(_tokens.BilledTokens / hours, cost / hours) : null;
            BlockProjection? projection = null;
            if (active && rate is not null)
            {
                var remaining = end - now;
                var remainingHours = (decimal)remaining.TotalMilliseconds / 3_600_000m;
                projection = new BlockProjection(
                    _tokens.BilledTokens + (long)Math.Round(rate.TokensPerHour * remainingHours, MidpointRounding.AwayFromZero),
                    cost + rate.CostPerHour * remainingHours,
                    (long)Math.Round(remaining.TotalMinutes, MidpointRounding.AwayFromZero));
            }

            var models = _models.OrderByDescending(m => m.Value).ThenBy(m => m.Key, StringComparer.Ordinal).Select(m => m.Key).ToList();
            return new BillingBlock(Start, end, Last, active, false, _calls, _tokens, cost, _unpriced, models, rate, projection);
        }
    }
}
