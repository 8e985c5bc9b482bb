using System.Diagnostics.Metrics;
using Microsoft.Extensions.AI;
using Tally.Extensions.AI.Metrics;
using Tally.Extensions.AI.Tests.TestDoubles;
using Tally.Model;
using Tally.Pricing;

namespace Tally.Extensions.AI.Tests;

public sealed class MetricsTests : IDisposable
{
    private readonly TestLedger _ledger = new();
    private readonly List<(string Instrument, double Value, Dictionary<string, object?> Tags)> _measurements = [];

    public void Dispose() => _ledger.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Fact]
    public async Task A_call_emits_the_genai_token_and_duration_histograms_and_tallys_cache_reasoning_and_cost_counters()
    {
        var provider = new TestChatClient { Metadata = new ChatClientMetadata("anthropic", null, null) }.Returns(
            new ChatResponse(new ChatMessage(ChatRole.Assistant, "done"))
            {
                ModelId = "claude-sonnet-4-5-20250929",
                FinishReason = ChatFinishReason.Stop,
                Usage = new UsageDetails
                {
                    InputTokenCount = 10_000,
                    CachedInputTokenCount = 8_000,
                    OutputTokenCount = 700,
                    ReasoningTokenCount = 300,
                    AdditionalCounts = new() { ["CacheCreationInputTokens"] = 1_500 },
                },
            });
        await using var recorder = Recorders.Over(_ledger);
        using var listener = Listen(recorder.Meter);
        using var client = new TallyChatClient(provider, recorder);

        await client.GetResponseAsync([new ChatMessage(ChatRole.User, "go")], new ChatOptions { ModelId = "claude-sonnet-4-5" });

        var input = Single(GenAiAttributes.TokenUsageMetric, "input");
        Assert.Equal(10_000, input.Value); // inclusive, as the conventions define input
        Assert.Equal("chat", input.Tags[GenAiAttributes.OperationName]);
        Assert.Equal("anthropic", input.Tags[GenAiAttributes.ProviderName]);
        Assert.Equal("claude-sonnet-4-5", input.Tags[GenAiAttributes.RequestModel]);
        Assert.Equal("claude-sonnet-4-5-20250929", input.Tags[GenAiAttributes.ResponseModel]);
        Assert.Equal(700, Single(GenAiAttributes.TokenUsageMetric, "output").Value); // reasoning included
        var duration = Assert.Single(_measurements, m => m.Instrument == GenAiAttributes.OperationDurationMetric);
        Assert.InRange(duration.Value, 0, 60);
        Assert.Equal(8_000, Assert.Single(_measurements, m => m.Instrument == TallyMetrics.CacheReadMetric).Value);
        var write = Assert.Single(_measurements, m => m.Instrument == TallyMetrics.CacheWriteMetric);
        Assert.Equal(1_500, write.Value);
        Assert.Equal("5m", write.Tags[TallyMetrics.CacheTtlAttribute]);
        Assert.Equal(300, Assert.Single(_measurements, m => m.Instrument == TallyMetrics.ReasoningMetric).Value);

        var expected = PriceCatalog.Embedded.Cost("claude-sonnet-4-5-20250929", "anthropic", new TokenUsage(500, 8_000, 1_500, null, 700, 300), 10_000);
        Assert.NotNull(expected);
        Assert.Equal((double)expected.Value, Assert.Single(_measurements, m => m.Instrument == TallyMetrics.CostMetric).Value, 12);
    }

    [Fact]
    public async Task An_unpriced_model_emits_no_cost_and_unreported_counts_emit_nothing()
    {
        await using var recorder = Recorders.Over(_ledger);
        using var listener = Listen(recorder.Meter);

        recorder.Record(new LlmCallRecord { Model = "in-house-model-7", Usage = new TokenUsage(null, null, null, null, 40, null) });

        Assert.Equal(40, Single(GenAiAttributes.TokenUsageMetric, "output").Value);
        Assert.DoesNotContain(_measurements, m => m.Instrument == GenAiAttributes.TokenUsageMetric && (string?)m.Tags[GenAiAttributes.TokenType] == "input");
        Assert.DoesNotContain(_measurements, m => m.Instrument is TallyMetrics.CostMetric or TallyMetrics.CacheReadMetric or TallyMetrics.ReasoningMetric);
    }

    [Fact]
    public async Task A_failed_call_carries_its_error_type_on_the_duration()
    {
        var provider = new TestChatClient().Throws(new TimeoutException());
        await using var recorder = Recorders.Over(_ledger);
        using var listener = Listen(recorder.Meter);
        using var client = new TallyChatClient(provider, recorder);

        await Assert.ThrowsAsync<TimeoutException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "go")]));

        var duration = Assert.Single(_measurements, m => m.Instrument == GenAiAttributes.OperationDurationMetric);
        Assert.Equal(typeof(TimeoutException).FullName, duration.Tags[GenAiAttributes.ErrorType]);
        Assert.DoesNotContain(_measurements, m => m.Instrument == GenAiAttributes.TokenUsageMetric);
    }

    private (string Instrument, double Value, Dictionary<string, object?> Tags) Single(string instrument, string tokenType) =>
        Assert.Single(_measurements, m => m.Instrument == instrument && (string?)m.Tags[GenAiAttributes.TokenType] == tokenType);

    /// <summary>Listens to this recorder's meter only, so tests running at the same time do not mix.</summary>
    private MeterListener Listen(Meter meter)
    {
        Assert.Equal("Tally", meter.Name);
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument.Meter, meter))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument, value, tags));
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Add(instrument, value, tags));
        listener.Start();
        return listener;
    }

    private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, object?>();
        foreach (var tag in tags)
        {
            copy[tag.Key] = tag.Value;
        }

        copy.TryAdd(GenAiAttributes.TokenType, null);
        lock (_measurements)
        {
            _measurements.Add((instrument.Name, value, copy));
        }
    }
}
