using System.Collections.Concurrent;
using Tally.Model;
using Tally.Pricing;

namespace Tally.Reports.Hotspots;

/// <summary>
/// The calls side of <see cref="ToolCostAttribution"/>: every call priced once, findable by its
/// key, and ordered into conversations. It needs no tool result, so a report builds it while the
/// results are still being read.
/// </summary>
internal sealed class CallTimeline
{
    // Per source, each call's index by key: a string key hashes faster than a (source, key) pair.
    private readonly Dictionary<string, Dictionary<string, int>> _index = new(StringComparer.Ordinal);

    private CallTimeline(IReadOnlyList<LlmCall> calls)
    {
        Calls = calls;
        Pricing = new CallPricing[calls.Count];
        Next = new int[calls.Count];
    }

    /// <summary>The calls, in the order given.</summary>
    public IReadOnlyList<LlmCall> Calls { get; }

    /// <summary>How each call (same index as <see cref="Calls"/>) is priced.</summary>
    public CallPricing[] Pricing { get; }

    /// <summary>
    /// Each conversation's calls (indexes into <see cref="Calls"/>) in time order, ties by key so
    /// the order never depends on the ledger's. A conversation is the calls of one (source,
    /// session, agent, sidechain).
    /// </summary>
    public List<List<int>> Conversations { get; private set; } = [];

    /// <summary>The next call of each call's conversation, or −1 for its last.</summary>
    public int[] Next { get; }

    /// <summary>Token buckets of every call (null where no call reported the bucket).</summary>
    public TokenUsage TotalTokens { get; private set; }

    /// <summary>Cost of every priced call; null when none could be priced.</summary>
    public decimal? TotalCost { get; private set; }

    /// <summary>Calls whose model has no price.</summary>
    public long UnpricedCalls { get; private set; }

    /// <summary>Prices, indexes and orders the calls.</summary>
    public static CallTimeline Of(IReadOnlyList<LlmCall> calls, PriceCatalog prices, CostMode costMode)
    {
        ArgumentNullException.ThrowIfNull(calls);
        ArgumentNullException.ThrowIfNull(prices);

        var timeline = new CallTimeline(calls);

        // Pricing is the costly part and the same for every call: it runs over the cores, each
        // range of calls with its own sums (decimal sums are exact, so their order is free),
        // beside the indexing of the calls and the gathering of their conversations.
        var sums = new List<(TokenUsage Tokens, decimal Cost, bool AnyPriced, long Unpriced)>();
        var byLane = new Dictionary<(string, string, string?, bool), List<int>>();
        Parallel.Invoke(() => Parallel.ForEach(Partitioner.Create(0, calls.Count), range =>
        {
            var tokens = TokenUsage.None;
            decimal cost = 0;
            var anyPriced = false;
            long unpriced = 0;
            for (var i = range.Item1; i < range.Item2; i++)
            {
                tokens += calls[i].Usage;
                timeline.Pricing[i] = CallPricing.Of(calls[i], prices, costMode);
                if (timeline.Pricing[i].Cost is { } callCost)
                {
                    cost += callCost;
                    anyPriced = true;
                }
                else
                {
                    unpriced++;
                }
            }

            lock (sums)
            {
                sums.Add((tokens, cost, anyPriced, unpriced));
            }
        }), () => IndexAndGather(timeline, byLane));

        var conversations = byLane.Values.ToList();
        Parallel.ForEach(conversations, conversation =>
        {
            conversation.Sort((a, b) =>
            {
                var byTime = calls[a].Timestamp.CompareTo(calls[b].Timestamp);
                return byTime != 0 ? byTime : string.CompareOrdinal(calls[a].CallKey, calls[b].CallKey);
            });
            for (var k = 0; k < conversation.Count; k++)
            {
                timeline.Next[conversation[k]] = k + 1 < conversation.Count ? conversation[k + 1] : -1;
            }
        });

        timeline.Conversations = conversations;
        timeline.TotalTokens = sums.Aggregate(TokenUsage.None, (total, part) => total + part.Tokens);
        timeline.TotalCost = sums.Any(part => part.AnyPriced) ? sums.Sum(part => part.Cost) : null;
        timeline.UnpricedCalls = sums.Sum(part => part.Unpriced);
        return timeline;
    }

    private static void IndexAndGather(CallTimeline timeline, Dictionary<(string, string, string?, bool), List<int>> byLane)
    {
        var calls = timeline.Calls;
        for (var i = 0; i < calls.Count; i++)
        {
            var call = calls[i];
            if (!timeline._index.TryGetValue(call.Source, out var keys))
            {
                timeline._index[call.Source] = keys = new Dictionary<string, int>(StringComparer.Ordinal);
            }

            keys[call.CallKey] = i;
            var lane = (call.Source, call.SessionId, call.Agent, call.IsSidechain);
            if (!byLane.TryGetValue(lane, out var conversation))
            {
                byLane[lane] = conversation = [];
            }

            conversation.Add(i);
        }
    }

    /// <summary>The index of the call with this key, or −1 when it is not in the timeline.</summary>
    public int IndexOf(string source, string key) =>
        _index.TryGetValue(source, out var keys) && keys.TryGetValue(key, out var index) ? index : -1;
}
