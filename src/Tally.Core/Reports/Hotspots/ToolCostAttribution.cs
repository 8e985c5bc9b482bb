using Tally.Model;
using Tally.Pricing;

namespace Tally.Reports.Hotspots;

/// <summary>
/// Which part of each call's tokens and cost a tool result caused. The rule (README, "Where the
/// tokens go"):
/// <list type="number">
/// <item>A result is read by the call that consumed it (<see cref="ToolResult.ConsumerCallKey"/>).
/// Where the source did not record one, the next call of the requesting call's conversation is
/// taken as the reader, and the result is marked approximate.</item>
/// <item>That call pays for it as fresh input and cache writes: of its input + cache-write tokens,
/// the part that is new context since the previous call of the conversation (its context minus
/// the previous call's context and output) goes to the results it read, split by their measured
/// output bytes, or evenly (approximate) when a size is unknown.</item>
/// <item>Every later call of the conversation pays for it again as cache reads, as many tokens as
/// it cost when read, until the context shrinks to less than half (compaction) or the conversation
/// ends. When the results in context claim more than a call's cache reads, the cache reads are
/// shared in proportion.</item>
/// </list>
/// A conversation is the calls of one (source, session, agent, sidechain) in time order. What is
/// not attributed (prompts, the model's own output, context no result explains) stays
/// unattributed, and attributed + unattributed = the calls' total, exactly, in tokens and cost.
/// </summary>
public sealed class ToolCostAttribution
{
    private ToolCostAttribution(IReadOnlyList<ToolResult> results)
    {
        Results = results;
        Shares = new ToolShare[results.Count];
    }

    /// <summary>The results, in the order given.</summary>
    public IReadOnlyList<ToolResult> Results { get; }

    /// <summary>What each result (same index as <see cref="Results"/>) was attributed.</summary>
    public IReadOnlyList<ToolShare> Shares { get; private set; }

    /// <summary>Token buckets of every call (null where no call reported the bucket).</summary>
    public TokenUsage TotalTokens { get; private set; }

    /// <summary>Cost of every priced call; null when none could be priced.</summary>
    public decimal? TotalCost { get; private set; }

    /// <summary>Calls whose model has no price: their tokens are attributed, never a cost.</summary>
    public long UnpricedCalls { get; private set; }

    /// <summary>The tokens attributed to some result.</summary>
    public TokenUsage AttributedTokens { get; private set; }

    /// <summary>The cost attributed to some result.</summary>
    public decimal AttributedCost { get; private set; }

    /// <summary><see cref="TotalTokens"/> − <see cref="AttributedTokens"/>, bucket by bucket (null where the total is).</summary>
    public TokenUsage UnattributedTokens => new(
        Minus(TotalTokens.Input, AttributedTokens.Input),
        Minus(TotalTokens.CacheRead, AttributedTokens.CacheRead),
        Minus(TotalTokens.CacheWrite5m, AttributedTokens.CacheWrite5m),
        Minus(TotalTokens.CacheWrite1h, AttributedTokens.CacheWrite1h),
        Minus(TotalTokens.Output, AttributedTokens.Output),
        Minus(TotalTokens.Reasoning, AttributedTokens.Reasoning));

    /// <summary><see cref="TotalCost"/> − <see cref="AttributedCost"/>; null when nothing was priced.</summary>
    public decimal? UnattributedCost => TotalCost - AttributedCost;

    /// <summary>Attributes the calls' tokens and costs to the results.</summary>
    /// <param name="calls">The calls, in any order.</param>
    /// <param name="results">The tool results; those whose reader is not among <paramref name="calls"/> get nothing.</param>
    /// <param name="prices">Prices calls without a reported cost.</param>
    /// <param name="costMode">Where call costs come from, as in summaries.</param>
    public static ToolCostAttribution Compute(
        IReadOnlyList<LlmCall> calls, IReadOnlyList<ToolResult> results, PriceCatalog prices, CostMode costMode)
    {
        ArgumentNullException.ThrowIfNull(calls);
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(prices);

        var attribution = new ToolCostAttribution(results);
        var shares = new ToolShare[results.Count];
        for (var i = 0; i < shares.Length; i++)
        {
            shares[i] = new ToolShare();
        }

        var pricing = new CallPricing[calls.Count];
        var total = TokenUsage.None;
        decimal totalCost = 0;
        var anyPriced = false;
        long unpriced = 0;
        var index = new Dictionary<(string Source, string Key), int>(calls.Count);
        for (var i = 0; i < calls.Count; i++)
        {
            var call = calls[i];
            index[(call.Source, call.CallKey)] = i;
            total += call.Usage;
            pricing[i] = CallPricing.Of(call, prices, costMode);
            if (pricing[i].Cost is { } cost)
            {
                totalCost += cost;
                anyPriced = true;
            }
            else
            {
                unpriced++;
            }
        }

        var conversations = Conversations(calls);
        var next = new int[calls.Count];
        foreach (var conversation in conversations)
        {
            for (var k = 0; k < conversation.Count; k++)
            {
                next[conversation[k]] = k + 1 < conversation.Count ? conversation[k + 1] : -1;
            }
        }

        var readBy = new List<int>?[calls.Count];
        for (var r = 0; r < results.Count; r++)
        {
            var result = results[r];
            var reader = -1;
            if (result.ConsumerCallKey is { } consumer && consumer != result.CallKey)
            {
                reader = index.GetValueOrDefault((result.Source, consumer), -1);
            }
            else if (result.CallKey is { } requester && index.TryGetValue((result.Source, requester), out var asker))
            {
                reader = next[asker];
                shares[r].Approximate = true;
            }

            if (reader >= 0)
            {
                (readBy[reader] ??= []).Add(r);
            }
        }

        // Carrying results through later calls is the costly part (every result × every later
        // call), so it is settled lazily: while the results in context fit in a call's cache
        // reads (the usual case), each gets its own size again, and the call only adds to running
        // sums of calls and per-token cache-read cost; a result takes its part of those sums when
        // it leaves the context. Only a call whose cache reads fall short is shared out one by one.
        var live = new List<LiveResult>();
        long liveTokens = 0;
        Carried carried = default;
        foreach (var conversation in conversations)
        {
            LlmCall? previous = null;
            foreach (var c in conversation)
            {
                var call = calls[c];
                var usage = call.Usage;
                if (previous is not null && usage.ContextTokens * 2 < previous.Usage.ContextTokens)
                {
                    Settle(); // compacted: what was in context is gone
                }

                // Results still in context are read again from the cache.
                if (liveTokens > 0 && usage.CacheRead is > 0 and var cacheRead)
                {
                    // A cache-read token of this call costs the same whoever caused it.
                    var perToken = pricing[c].OfPart(new TokenUsage(null, 1, null, null, null, null));
                    if (liveTokens <= cacheRead)
                    {
                        carried.Calls++;
                        if (perToken is { } cost)
                        {
                            carried.CostPerToken += cost;
                        }
                        else
                        {
                            carried.UnpricedCalls++;
                        }
                    }
                    else
                    {
                        var parts = Apportion(cacheRead, live.ConvertAll(l => l.Tokens));
                        for (var k = 0; k < live.Count; k++)
                        {
                            if (parts[k] > 0)
                            {
                                var share = shares[live[k].Result];
                                share.Tokens += new TokenUsage(null, parts[k], null, null, null, null);
                                if (perToken is { } cost)
                                {
                                    share.Cost += parts[k] * cost;
                                    share.Priced = true;
                                }
                                else
                                {
                                    share.Unpriced = true;
                                }
                            }
                        }
                    }
                }

                if (readBy[c] is { } read)
                {
                    var fresh = (usage.Input ?? 0) + (usage.CacheWrite5m ?? 0) + (usage.CacheWrite1h ?? 0);
                    var added = previous is null
                        ? fresh
                        : Math.Clamp(usage.ContextTokens - previous.Usage.ContextTokens - (previous.Usage.Output ?? 0), 0, fresh);
                    var bytesKnown = read.TrueForAll(r => results[r].OutputBytes is not null) && read.Sum(r => results[r].OutputBytes ?? 0) > 0;
                    var split = Apportion(added, read.ConvertAll(r => bytesKnown ? results[r].OutputBytes!.Value : 1L));
                    for (var k = 0; k < read.Count; k++)
                    {
                        var r = read[k];
                        shares[r].Approximate |= !bytesKnown && read.Count > 1;
                        var buckets = Apportion(split[k], [usage.Input ?? 0, usage.CacheWrite5m ?? 0, usage.CacheWrite1h ?? 0]);
                        var part = new TokenUsage(
                            usage.Input is null ? null : buckets[0],
                            null,
                            usage.CacheWrite5m is null ? null : buckets[1],
                            usage.CacheWrite1h is null ? null : buckets[2],
                            null,
                            null);
                        Attribute(r, part, c);
                        if (split[k] > 0)
                        {
                            live.Add(new LiveResult(r, split[k], carried));
                            liveTokens += split[k];
                        }
                    }
                }

                previous = call;
            }

            Settle(); // the conversation ended
        }

        var attributedTokens = TokenUsage.None;
        decimal attributedCost = 0;
        foreach (var share in shares)
        {
            attributedTokens += share.Tokens;
            attributedCost += share.Cost;
        }

        attribution.Shares = shares;
        attribution.TotalTokens = total;
        attribution.TotalCost = anyPriced ? totalCost : null;
        attribution.UnpricedCalls = unpriced;
        attribution.AttributedTokens = attributedTokens;
        attribution.AttributedCost = attributedCost;
        return attribution;

        void Attribute(int result, TokenUsage part, int c)
        {
            var share = shares[result];
            share.Tokens += part;
            if (pricing[c].OfPart(part) is { } cost)
            {
                share.Cost += cost;
                share.Priced = true;
            }
            else if (part.BilledTokens > 0)
            {
                share.Unpriced = true;
            }
        }

        // Every result in context takes the cache reads of the calls it was carried through whole.
        void Settle()
        {
            foreach (var (result, tokens, since) in live)
            {
                var carriedCalls = carried.Calls - since.Calls;
                if (carriedCalls == 0)
                {
                    continue;
                }

                var share = shares[result];
                share.Tokens += new TokenUsage(null, tokens * carriedCalls, null, null, null, null);
                share.Cost += tokens * (carried.CostPerToken - since.CostPerToken);
                share.Priced |= carriedCalls > carried.UnpricedCalls - since.UnpricedCalls;
                share.Unpriced |= carried.UnpricedCalls > since.UnpricedCalls;
            }

            live.Clear();
            liveTokens = 0;
        }
    }

    /// <summary>A result in context: its size, and the running sums when it entered.</summary>
    private readonly record struct LiveResult(int Result, long Tokens, Carried Since);

    /// <summary>Running sums over the calls whose cache reads carried every result in context whole.</summary>
    private struct Carried
    {
        public long Calls;
        public long UnpricedCalls;
        public decimal CostPerToken;
    }

    // Each conversation's calls in time order (ties by key, so the order never depends on the ledger's).
    private static List<List<int>> Conversations(IReadOnlyList<LlmCall> calls)
    {
        var byLane = new Dictionary<(string, string, string?, bool), List<int>>();
        for (var i = 0; i < calls.Count; i++)
        {
            var call = calls[i];
            var lane = (call.Source, call.SessionId, call.Agent, call.IsSidechain);
            if (!byLane.TryGetValue(lane, out var list))
            {
                byLane[lane] = list = [];
            }

            list.Add(i);
        }

        var conversations = byLane.Values.ToList();
        foreach (var conversation in conversations)
        {
            conversation.Sort((a, b) =>
            {
                var byTime = calls[a].Timestamp.CompareTo(calls[b].Timestamp);
                return byTime != 0 ? byTime : string.CompareOrdinal(calls[a].CallKey, calls[b].CallKey);
            });
        }

        return conversations;
    }

    /// <summary>
    /// Splits <paramref name="total"/> in proportion to <paramref name="weights"/> into whole
    /// numbers that add up to it exactly (largest remainder; ties to the earlier weight). All-zero
    /// weights split evenly.
    /// </summary>
    internal static long[] Apportion(long total, IReadOnlyList<long> weights)
    {
        var parts = new long[weights.Count];
        if (weights.Count == 0 || total <= 0)
        {
            return parts;
        }

        if (weights.Count == 1)
        {
            parts[0] = total;
            return parts;
        }

        Int128 sum = 0;
        foreach (var weight in weights)
        {
            sum += Math.Max(weight, 0);
        }

        var even = sum == 0;
        if (even)
        {
            sum = weights.Count;
        }

        // Token counts and byte sizes keep total × weight far inside 64 bits; Int128 is the fallback.
        var small = sum <= int.MaxValue && total <= int.MaxValue;
        Span<(Int128 Remainder, int Index)> remainders = weights.Count <= 16
            ? stackalloc (Int128, int)[weights.Count]
            : new (Int128, int)[weights.Count];
        long given = 0;
        for (var i = 0; i < weights.Count; i++)
        {
            var weight = even ? 1 : Math.Max(weights[i], 0);
            if (small && weight <= int.MaxValue)
            {
                var exact = total * weight;
                parts[i] = exact / (long)sum;
                remainders[i] = (exact % (long)sum, i);
            }
            else
            {
                var exact = (Int128)total * weight;
                parts[i] = (long)(exact / sum);
                remainders[i] = (exact % sum, i);
            }

            given += parts[i];
        }

        if (given < total)
        {
            // Fewer tokens are left than weights: one more each to the largest remainders.
            remainders.Sort((a, b) => a.Remainder != b.Remainder ? b.Remainder.CompareTo(a.Remainder) : a.Index.CompareTo(b.Index));
            for (var k = 0; given < total; k++, given++)
            {
                parts[remainders[k].Index]++;
            }
        }

        return parts;
    }

    private static long? Minus(long? total, long? part) => total is { } t ? t - (part ?? 0) : null;
}

/// <summary>What one tool result was attributed.</summary>
public sealed class ToolShare
{
    /// <summary>The tokens it caused: fresh input and cache writes where it was read, cache reads after.</summary>
    public TokenUsage Tokens { get; internal set; }

    /// <summary>The cost of <see cref="Tokens"/> over the priced calls.</summary>
    public decimal Cost { get; internal set; }

    /// <summary>Whether any of its tokens fell on a priced call (else <see cref="Cost"/> means nothing).</summary>
    public bool Priced { get; internal set; }

    /// <summary>Whether some of its tokens fell on calls that could not be priced.</summary>
    public bool Unpriced { get; internal set; }

    /// <summary>Whether its reader was guessed or its share split evenly for want of sizes.</summary>
    public bool Approximate { get; internal set; }
}
