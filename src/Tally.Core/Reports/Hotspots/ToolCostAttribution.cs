using System.Collections.Concurrent;
using System.Diagnostics;
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
    private ToolCostAttribution(IReadOnlyList<ToolResult> results) => Results = results;

    /// <summary>The results, in the order given.</summary>
    public IReadOnlyList<ToolResult> Results { get; }

    /// <summary>What each result (same index as <see cref="Results"/>) was attributed.</summary>
    public required IReadOnlyList<ToolShare> Shares { get; init; }

    /// <summary>Token buckets of every call (null where no call reported the bucket).</summary>
    public TokenUsage TotalTokens { get; private init; }

    /// <summary>Cost of every priced call; null when none could be priced.</summary>
    public decimal? TotalCost { get; private init; }

    /// <summary>Calls whose model has no price: their tokens are attributed, never a cost.</summary>
    public long UnpricedCalls { get; private init; }

    /// <summary>The tokens attributed to some result.</summary>
    public TokenUsage AttributedTokens { get; private init; }

    /// <summary>The cost attributed to some result.</summary>
    public decimal AttributedCost { get; private init; }

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
        IReadOnlyList<LlmCall> calls, IReadOnlyList<ToolResult> results, PriceCatalog prices, CostMode costMode) =>
        Compute(CallTimeline.Of(calls, prices, costMode), results);

    /// <summary>Attributes the calls of a timeline to the results.</summary>
    /// <param name="timeline">The calls, priced and in conversations (built while the results are still being read).</param>
    /// <param name="results">The tool results; those whose reader is not in the timeline get nothing.</param>
    internal static ToolCostAttribution Compute(CallTimeline timeline, IReadOnlyList<ToolResult> results)
    {
        ArgumentNullException.ThrowIfNull(timeline);
        ArgumentNullException.ThrowIfNull(results);

        var shares = new ToolShare[results.Count];

        // Each call's readers, as one array of result indexes grouped by call (first[c] to first[c + 1]).
        var readers = new int[results.Count];
        var first = new int[timeline.Calls.Count + 1];
        for (var r = 0; r < results.Count; r++)
        {
            var result = results[r];
            var reader = -1;
            if (result.ConsumerCallKey is { } consumer && consumer != result.CallKey)
            {
                reader = timeline.IndexOf(result.Source, consumer);
            }
            else if (result.CallKey is { } requester && timeline.IndexOf(result.Source, requester) is >= 0 and var asker)
            {
                reader = timeline.Next[asker];
                shares[r].Approximate = true;
            }

            readers[r] = reader;
            if (reader >= 0)
            {
                first[reader + 1]++;
            }
        }

        for (var c = 0; c < timeline.Calls.Count; c++)
        {
            first[c + 1] += first[c];
        }

        var readBy = new int[first[^1]];
        var filled = first[..^1];
        for (var r = 0; r < results.Count; r++)
        {
            if (readers[r] >= 0)
            {
                readBy[filled[readers[r]]++] = r;
            }
        }

        // Conversations share no call and no result, so they are walked in parallel, each range
        // of them with its own running state; a result's share is written only by the walker of
        // its reader's conversation.
        var conversations = timeline.Conversations;
        Parallel.ForEach(Partitioner.Create(0, conversations.Count), range =>
        {
            var walker = new Walker(timeline, results, first, readBy, shares);
            for (var i = range.Item1; i < range.Item2; i++)
            {
                walker.Walk(conversations[i]);
            }
        });

        var attributedTokens = TokenUsage.None;
        decimal attributedCost = 0;
        foreach (var share in shares)
        {
            attributedTokens += share.Tokens;
            attributedCost += share.Cost;
        }

        return new ToolCostAttribution(results)
        {
            Shares = shares,
            TotalTokens = timeline.TotalTokens,
            TotalCost = timeline.TotalCost,
            UnpricedCalls = timeline.UnpricedCalls,
            AttributedTokens = attributedTokens,
            AttributedCost = attributedCost,
        };
    }

    /// <summary>
    /// Walks conversations one after another, carrying the results in context from call to call
    /// (rules 2 and 3 of the class remarks).
    /// </summary>
    /// <remarks>
    /// Carrying results through later calls is the costly part (every result × every later call),
    /// so it is settled lazily: while the results in context fit in a call's cache reads (the
    /// usual case), each gets its own size again, and the call only adds to running sums of calls
    /// and per-token cache-read cost; a result takes its part of those sums when it leaves the
    /// context. Only a call whose cache reads fall short is shared out one by one.
    /// </remarks>
    private sealed class Walker(CallTimeline timeline, IReadOnlyList<ToolResult> results, int[] first, int[] readBy, ToolShare[] shares)
    {
        private static readonly TokenUsage OneCacheRead = new(null, 1, null, null, null, null);
        private readonly List<LiveResult> _live = [];
        private long _liveTokens;
        private Carried _carried;
        // Scratch for the splits, grown as needed and reused from call to call.
        private long[] _weights = new long[16];
        private long[] _parts = new long[16];

        public void Walk(List<int> conversation)
        {
            LlmCall? previous = null;
            foreach (var c in conversation)
            {
                var call = timeline.Calls[c];
                var usage = call.Usage;
                if (previous is not null && usage.ContextTokens * 2 < previous.Usage.ContextTokens)
                {
                    Settle(); // compacted: what was in context is gone
                }

                // Results still in context are read again from the cache.
                if (_liveTokens > 0 && usage.CacheRead is > 0 and var cacheRead)
                {
                    // A cache-read token of this call costs the same whoever caused it.
                    var perToken = timeline.Pricing[c].OfPart(OneCacheRead);
                    if (_liveTokens <= cacheRead)
                    {
                        _carried.Calls++;
                        if (perToken is { } cost)
                        {
                            _carried.CostPerToken += cost;
                        }
                        else
                        {
                            _carried.UnpricedCalls++;
                        }
                    }
                    else
                    {
                        var weights = Weights(_live.Count);
                        for (var k = 0; k < _live.Count; k++)
                        {
                            weights[k] = _live[k].Tokens;
                        }

                        var parts = Parts(_live.Count);
                        Apportion(cacheRead, weights, parts);
                        for (var k = 0; k < _live.Count; k++)
                        {
                            if (parts[k] > 0)
                            {
                                ref var share = ref shares[_live[k].Result];
                                share.Add(new TokenUsage(null, parts[k], null, null, null, null));
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

                if (first[c] < first[c + 1])
                {
                    Read(c, usage, previous, readBy.AsSpan(first[c]..first[c + 1]));
                }

                previous = call;
            }

            Settle(); // the conversation ended
        }

        // The call pays for the results it read as fresh input and cache writes.
        private void Read(int c, TokenUsage usage, LlmCall? previous, ReadOnlySpan<int> read)
        {
            var fresh = (usage.Input ?? 0) + (usage.CacheWrite5m ?? 0) + (usage.CacheWrite1h ?? 0);
            var added = previous is null
                ? fresh
                : Math.Clamp(usage.ContextTokens - previous.Usage.ContextTokens - (previous.Usage.Output ?? 0), 0, fresh);
            var bytesKnown = true;
            long bytes = 0;
            foreach (var r in read)
            {
                bytesKnown &= results[r].OutputBytes is not null;
                bytes += results[r].OutputBytes ?? 0;
            }

            bytesKnown &= bytes > 0;
            var weights = Weights(read.Length);
            for (var k = 0; k < read.Length; k++)
            {
                weights[k] = bytesKnown ? results[read[k]].OutputBytes!.Value : 1L;
            }

            var split = Parts(read.Length);
            Apportion(added, weights, split);
            Span<long> byBucket = [usage.Input ?? 0, usage.CacheWrite5m ?? 0, usage.CacheWrite1h ?? 0];
            Span<long> buckets = stackalloc long[3];
            for (var k = 0; k < read.Length; k++)
            {
                var r = read[k];
                shares[r].Approximate |= !bytesKnown && read.Length > 1;
                Apportion(split[k], byBucket, buckets);
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
                    _live.Add(new LiveResult(r, split[k], _carried));
                    _liveTokens += split[k];
                }
            }
        }

        private void Attribute(int result, TokenUsage part, int c)
        {
            ref var share = ref shares[result];
            share.Add(part);
            if (timeline.Pricing[c].OfPart(part) is { } cost)
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
        private void Settle()
        {
            foreach (var (result, tokens, since) in _live)
            {
                var carriedCalls = _carried.Calls - since.Calls;
                if (carriedCalls == 0)
                {
                    continue;
                }

                ref var share = ref shares[result];
                share.Add(new TokenUsage(null, tokens * carriedCalls, null, null, null, null));
                share.Cost += tokens * (_carried.CostPerToken - since.CostPerToken);
                share.Priced |= carriedCalls > _carried.UnpricedCalls - since.UnpricedCalls;
                share.Unpriced |= _carried.UnpricedCalls > since.UnpricedCalls;
            }

            _live.Clear();
            _liveTokens = 0;
        }

        private Span<long> Weights(int count)
        {
            if (_weights.Length < count)
            {
                _weights = new long[Math.Max(count, _weights.Length * 2)];
            }

            return _weights.AsSpan(0, count);
        }

        private Span<long> Parts(int count)
        {
            if (_parts.Length < count)
            {
                _parts = new long[Math.Max(count, _parts.Length * 2)];
            }

            return _parts.AsSpan(0, count);
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

    /// <summary>
    /// Splits <paramref name="total"/> in proportion to <paramref name="weights"/> into whole
    /// numbers, written to <paramref name="parts"/> (as long as the weights), that add up to it
    /// exactly (largest remainder; ties to the earlier weight). All-zero weights split evenly.
    /// </summary>
    internal static void Apportion(long total, ReadOnlySpan<long> weights, Span<long> parts)
    {
        parts.Clear();
        if (weights.Length == 0 || total <= 0)
        {
            return;
        }

        if (weights.Length == 1)
        {
            parts[0] = total;
            return;
        }

        Int128 sum = 0;
        foreach (var weight in weights)
        {
            sum += Math.Max(weight, 0);
        }

        var even = sum == 0;
        if (even)
        {
            sum = weights.Length;
        }

        // Token counts and byte sizes keep total × weight far inside 64 bits; Int128 is the fallback.
        var small = sum <= int.MaxValue && total <= int.MaxValue;
        Span<(Int128 Remainder, int Index)> remainders = weights.Length <= 16
            ? stackalloc (Int128, int)[weights.Length]
            : new (Int128, int)[weights.Length];
        long given = 0;
        for (var i = 0; i < weights.Length; i++)
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
    }

    private static long? Minus(long? total, long? part) => total is { } t ? t - (part ?? 0) : null;
}

/// <summary>What one tool result was attributed (a value, kept in one array for every result).</summary>
public struct ToolShare
{
    // Attribution moves only input, cache reads and cache writes; a bucket never given stays null.
    private long _input;
    private long _cacheRead;
    private long _cacheWrite5m;
    private long _cacheWrite1h;
    private Buckets _given;

    [Flags]
    private enum Buckets : byte
    {
        None = 0,
        Input = 1,
        CacheRead = 2,
        CacheWrite5m = 4,
        CacheWrite1h = 8,
    }

    /// <summary>The tokens it caused: fresh input and cache writes where it was read, cache reads after.</summary>
    public readonly TokenUsage Tokens => new(
        _given.HasFlag(Buckets.Input) ? _input : null,
        _given.HasFlag(Buckets.CacheRead) ? _cacheRead : null,
        _given.HasFlag(Buckets.CacheWrite5m) ? _cacheWrite5m : null,
        _given.HasFlag(Buckets.CacheWrite1h) ? _cacheWrite1h : null,
        null,
        null);

    /// <summary>The cost of <see cref="Tokens"/> over the priced calls.</summary>
    public decimal Cost { readonly get; internal set; }

    /// <summary>Whether any of its tokens fell on a priced call (else <see cref="Cost"/> means nothing).</summary>
    public bool Priced { readonly get; internal set; }

    /// <summary>Whether some of its tokens fell on calls that could not be priced.</summary>
    public bool Unpriced { readonly get; internal set; }

    /// <summary>Whether its reader was guessed or its share split evenly for want of sizes.</summary>
    public bool Approximate { readonly get; internal set; }

    /// <summary>Adds tokens, bucket by bucket, as <see cref="TokenUsage"/>'s sum does (null + null stays null).</summary>
    internal void Add(TokenUsage part)
    {
        Debug.Assert(part.Output is null && part.Reasoning is null, "Attribution never moves output.");
        Add(part.Input, ref _input, Buckets.Input);
        Add(part.CacheRead, ref _cacheRead, Buckets.CacheRead);
        Add(part.CacheWrite5m, ref _cacheWrite5m, Buckets.CacheWrite5m);
        Add(part.CacheWrite1h, ref _cacheWrite1h, Buckets.CacheWrite1h);
    }

    private void Add(long? count, ref long bucket, Buckets flag)
    {
        if (count is { } value)
        {
            bucket += value;
            _given |= flag;
        }
    }
}
