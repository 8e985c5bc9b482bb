using Tally.Ledger;
using Tally.Model;
using Tally.Pricing;

namespace Tally.Reports.Hotspots;

/// <summary>
/// Where the tokens go: the calls' cost attributed to the tool results that caused it
/// (<see cref="ToolCostAttribution"/>), rolled up by tool, file, command, verb, subagent type
/// and MCP server.
/// </summary>
/// <remarks>
/// Reads the filtered calls and tool results through the ledger contract and computes everything
/// here, so every ledger gives the same answer.
/// </remarks>
public static class HotspotsQuery
{
    /// <summary>Runs the report.</summary>
    public static async Task<HotspotsReport> RunAsync(
        ILedger ledger, PriceCatalog prices, HotspotsOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(prices);
        ArgumentNullException.ThrowIfNull(options);

        // The calls and the results are read at once, and the calls are priced and put in order
        // while the results are still coming: on two cores the report waits for the longer read.
        var timeline = Task.Run(
            async () => CallTimeline.Of(await ledger.ReadCallsAsync(options.Filter, cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false), prices, options.CostMode),
            cancellationToken);
        var results = Task.Run(() => ledger.ReadToolResultsAsync(options.Filter, cancellationToken).ToListAsync(cancellationToken).AsTask(), cancellationToken);
        await Task.WhenAll(timeline, results).ConfigureAwait(false);
        return Build(await timeline.ConfigureAwait(false), await results.ConfigureAwait(false), options);
    }

    /// <summary>Builds the report from records already read.</summary>
    public static HotspotsReport Build(
        IReadOnlyList<LlmCall> calls, IReadOnlyList<ToolResult> results, PriceCatalog prices, HotspotsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Build(CallTimeline.Of(calls, prices, options.CostMode), results, options);
    }

    private static HotspotsReport Build(CallTimeline timeline, IReadOnlyList<ToolResult> results, HotspotsOptions options)
    {
        var attribution = ToolCostAttribution.Compute(timeline, results);
        // The tables only read the attribution: build them side by side.
        var tables = new HotspotTable[options.Dimensions.Count];
        Parallel.For(0, tables.Length, i => tables[i] = Table(attribution, options.Dimensions[i], options));
        return new HotspotsReport(
            options.RankBy,
            tables,
            results.Count,
            new HotspotTotals(attribution.TotalTokens, attribution.TotalCost),
            new HotspotTotals(attribution.AttributedTokens, attribution.TotalCost is null ? null : attribution.AttributedCost),
            new HotspotTotals(attribution.UnattributedTokens, attribution.UnattributedCost),
            attribution.UnpricedCalls,
            attribution.Shares.Any(s => s.Approximate));
    }

    private static HotspotTable Table(ToolCostAttribution attribution, HotspotDimension dimension, HotspotsOptions options)
    {
        var rows = new Dictionary<string, RowAccumulator>(StringComparer.Ordinal);
        // Agents run the same commands over and over: read each command line's verb once.
        var verbs = new Dictionary<string, string?>(StringComparer.Ordinal);
        for (var i = 0; i < attribution.Results.Count; i++)
        {
            var result = attribution.Results[i];
            var key = dimension == HotspotDimension.Verb
                ? ToolKeys.Command(result) is { } command ? VerbOf(command) : null
                : ToolKeys.Key(result, dimension);
            if (key is null)
            {
                continue;
            }

            if (!rows.TryGetValue(key, out var row))
            {
                rows[key] = row = new RowAccumulator();
            }

            row.Add(result, attribution.Shares[i]);
        }

        string? VerbOf(string command)
        {
            if (!verbs.TryGetValue(command, out var verb))
            {
                verbs[command] = verb = ShellVerbs.Verb(command);
            }

            return verb;
        }

        Comparison<KeyValuePair<string, RowAccumulator>> order = options.RankBy == HotspotRanking.Bytes ? ByBytes : ByCost;
        IEnumerable<KeyValuePair<string, RowAccumulator>> kept = rows;
        if (options.Limit is { } limit && limit < rows.Count)
        {
            // Files and commands run to tens of thousands of rows: keep the best few in a heap
            // (its root the worst of them) rather than build and sort them all.
            var best = new PriorityQueue<KeyValuePair<string, RowAccumulator>, KeyValuePair<string, RowAccumulator>>(
                Comparer<KeyValuePair<string, RowAccumulator>>.Create((a, b) => order(b, a)));
            foreach (var row in rows)
            {
                best.Enqueue(row, row);
                if (best.Count > limit)
                {
                    best.Dequeue();
                }
            }

            kept = best.UnorderedItems.Select(i => i.Element);
        }

        var shown = kept.ToList();
        shown.Sort((a, b) => order(a, b));
        return new HotspotTable(dimension, shown.ConvertAll(r => r.Value.ToRow(r.Key)), rows.Count);
    }

    // Highest cost first, then most tokens, most bytes, and the key, so the order never depends on the ledger's.
    private static int ByCost(KeyValuePair<string, RowAccumulator> a, KeyValuePair<string, RowAccumulator> b)
    {
        var c = b.Value.RankingCost.CompareTo(a.Value.RankingCost);
        c = c != 0 ? c : b.Value.BilledTokens.CompareTo(a.Value.BilledTokens);
        c = c != 0 ? c : b.Value.RankingBytes.CompareTo(a.Value.RankingBytes);
        return c != 0 ? c : string.CompareOrdinal(a.Key, b.Key);
    }

    // Most output bytes first (never measured last), then highest cost, and the key.
    private static int ByBytes(KeyValuePair<string, RowAccumulator> a, KeyValuePair<string, RowAccumulator> b)
    {
        var c = b.Value.RankingBytes.CompareTo(a.Value.RankingBytes);
        c = c != 0 ? c : b.Value.RankingCost.CompareTo(a.Value.RankingCost);
        return c != 0 ? c : string.CompareOrdinal(a.Key, b.Key);
    }

    private sealed class RowAccumulator
    {
        private long _calls;
        private TokenUsage _tokens;
        private decimal _cost;
        private bool _priced;
        private bool _unpriced;
        private long? _bytes;
        private long? _maxBytes;
        private long _truncated;
        private bool _approximate;

        public void Add(ToolResult result, in ToolShare share)
        {
            _calls++;
            _tokens += share.Tokens;
            _cost += share.Cost;
            _priced |= share.Priced;
            _unpriced |= share.Unpriced;
            _approximate |= share.Approximate;
            if (result.OutputBytes is { } bytes)
            {
                _bytes = (_bytes ?? 0) + bytes;
                _maxBytes = Math.Max(_maxBytes ?? 0, bytes);
            }

            if (result.Truncated == true)
            {
                _truncated++;
            }
        }

        /// <summary>The cost to rank by: unpriced rows below every priced one.</summary>
        public decimal RankingCost => _priced ? _cost : -1m;

        /// <summary>The bytes to rank by: rows never measured below every measured one.</summary>
        public long RankingBytes => _bytes ?? -1;

        public long BilledTokens => _tokens.BilledTokens;

        public HotspotRow ToRow(string key) =>
            new(key, _calls, _tokens, _priced ? _cost : null, _bytes, _maxBytes, _truncated, _approximate, _unpriced);
    }
}
