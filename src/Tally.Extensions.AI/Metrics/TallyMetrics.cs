using System.Diagnostics;
using System.Diagnostics.Metrics;
using Tally.Model;
using Tally.Pricing;

namespace Tally.Extensions.AI.Metrics;

/// <summary>
/// The <see cref="Meter"/> named <c>Tally</c>: the OpenTelemetry GenAI client metrics for every
/// recorded call, and Tally's own counters for what those conventions cannot express (cache
/// reads, cache writes, reasoning tokens, cost).
/// </summary>
/// <remarks>
/// <c>gen_ai.client.token.usage</c> carries input the way the conventions define it, inclusive of
/// cache reads and writes (fresh input + cache read + cache writes), and output including
/// reasoning. Nothing is recorded for a count the provider did not report, and no cost for a model
/// the catalog cannot price (never 0). Each instrument is checked for a listener first, so a
/// process that collects no metrics pays almost nothing.
/// </remarks>
internal sealed class TallyMetrics : IDisposable
{
    public const string MeterName = "Tally";

    public const string CacheReadMetric = "tally.client.token.cache_read";
    public const string CacheWriteMetric = "tally.client.token.cache_write";
    public const string ReasoningMetric = "tally.client.token.reasoning";
    public const string CostMetric = "tally.client.cost";

    /// <summary>The cache write's time-to-live on <see cref="CacheWriteMetric"/>: <c>5m</c> or <c>1h</c>.</summary>
    public const string CacheTtlAttribute = "tally.cache.ttl";

    private static readonly double[] TokenBuckets = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
    private static readonly double[] DurationBuckets = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];

    private readonly Histogram<long> _tokenUsage;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _cacheRead;
    private readonly Counter<long> _cacheWrite;
    private readonly Counter<long> _reasoning;
    private readonly Counter<double> _cost;
    private readonly Func<PriceCatalog> _prices;

    /// <param name="prices">The catalog for the cost counter, asked for only when someone collects it.</param>
    public TallyMetrics(Func<PriceCatalog> prices)
    {
        _prices = prices;
        Meter = new Meter(MeterName, typeof(TallyMetrics).Assembly.GetName().Version?.ToString());
        _tokenUsage = Meter.CreateHistogram(GenAiAttributes.TokenUsageMetric, "{token}", "Number of input and output tokens used.",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = Array.ConvertAll(TokenBuckets, b => (long)b) });
        _duration = Meter.CreateHistogram(GenAiAttributes.OperationDurationMetric, "s", "GenAI operation duration.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        _cacheRead = Meter.CreateCounter<long>(CacheReadMetric, "{token}", "Input tokens read from the prompt cache.");
        _cacheWrite = Meter.CreateCounter<long>(CacheWriteMetric, "{token}", "Input tokens written to the prompt cache, by time-to-live.");
        _reasoning = Meter.CreateCounter<long>(ReasoningMetric, "{token}", "Output tokens that were reasoning (part of output).");
        _cost = Meter.CreateCounter<double>(CostMetric, "USD", "Cost of the calls, priced from Tally's catalog unless the record states one.");
    }

    /// <summary>This recorder's meter (each recorder has its own, all named <see cref="MeterName"/>).</summary>
    public Meter Meter { get; }

    /// <summary>One provider call: the GenAI histograms and Tally's counters.</summary>
    public void RecordCall(LlmCall call, string? requestModel)
    {
        if (!_tokenUsage.Enabled && !_duration.Enabled && !AnyCounterEnabled)
        {
            return;
        }

        var tags = Tags(call, requestModel);
        var usage = call.Usage;
        if (_tokenUsage.Enabled)
        {
            if (InclusiveInput(usage) is { } input)
            {
                var inputTags = tags;
                inputTags.Add(GenAiAttributes.TokenType, GenAiAttributes.InputTokenType);
                _tokenUsage.Record(input, inputTags);
            }

            if (usage.Output is { } output)
            {
                var outputTags = tags;
                outputTags.Add(GenAiAttributes.TokenType, GenAiAttributes.OutputTokenType);
                _tokenUsage.Record(output, outputTags);
            }
        }

        if (_duration.Enabled && call.DurationMs is { } milliseconds)
        {
            _duration.Record(milliseconds / 1000.0, tags);
        }

        RecordCounters(call, tags);
    }

    /// <summary>A run's per-model sum: Tally's counters only, because the GenAI histograms describe single operations.</summary>
    public void RecordRunModel(LlmCall call)
    {
        if (AnyCounterEnabled)
        {
            RecordCounters(call, Tags(call, null));
        }
    }

    public void Dispose() => Meter.Dispose();

    private bool AnyCounterEnabled => _cacheRead.Enabled || _cacheWrite.Enabled || _reasoning.Enabled || _cost.Enabled;

    /// <summary>The conventions' input: every input token, cached or not; null when no input bucket was reported.</summary>
    internal static long? InclusiveInput(TokenUsage usage) =>
        TokenUsage.Add(TokenUsage.Add(usage.Input, usage.CacheRead), TokenUsage.Add(usage.CacheWrite5m, usage.CacheWrite1h));

    private void RecordCounters(LlmCall call, TagList tags)
    {
        var usage = call.Usage;
        if (_cacheRead.Enabled && usage.CacheRead is { } read)
        {
            _cacheRead.Add(read, tags);
        }

        if (_cacheWrite.Enabled)
        {
            AddCacheWrite(usage.CacheWrite5m, "5m", tags);
            AddCacheWrite(usage.CacheWrite1h, "1h", tags);
        }

        if (_reasoning.Enabled && usage.Reasoning is { } reasoning)
        {
            _reasoning.Add(reasoning, tags);
        }

        if (_cost.Enabled && usage.IsReported
            && (call.ReportedCost ?? _prices().Cost(call.Model, call.Provider, usage, usage.ContextTokens)) is { } cost)
        {
            _cost.Add((double)cost, tags);
        }
    }

    private void AddCacheWrite(long? count, string ttl, TagList tags)
    {
        if (count is { } value)
        {
            tags.Add(CacheTtlAttribute, ttl);
            _cacheWrite.Add(value, tags);
        }
    }

    private static TagList Tags(LlmCall call, string? requestModel)
    {
        var tags = new TagList
        {
            { GenAiAttributes.OperationName, GenAiAttributes.Chat },
            { GenAiAttributes.RequestModel, requestModel ?? call.Model },
            { GenAiAttributes.ResponseModel, call.Model },
        };
        if (call.Provider is not null)
        {
            tags.Add(GenAiAttributes.ProviderName, call.Provider);
        }

        if (call.ErrorType is not null)
        {
            tags.Add(GenAiAttributes.ErrorType, call.ErrorType);
        }

        return tags;
    }
}
