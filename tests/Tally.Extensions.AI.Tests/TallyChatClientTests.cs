using Microsoft.Extensions.AI;
using Tally.Extensions.AI.Tests.TestDoubles;
using Tally.Model;

namespace Tally.Extensions.AI.Tests;

public sealed class TallyChatClientTests : IDisposable
{
    private static readonly ChatMessage[] Prompt = [new(ChatRole.User, "hello")];

    private readonly TestLedger _ledger = new();

    public void Dispose() => _ledger.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Fact]
    public async Task A_response_is_recorded_once_with_model_provider_finish_reason_conversation_agent_and_tags()
    {
        var provider = new TestChatClient().Returns(new ChatResponse(new ChatMessage(ChatRole.Assistant, "secret answer"))
        {
            ModelId = "gpt-4o-2024-08-06",
            ResponseId = "resp_1",
            ConversationId = "conv-9",
            FinishReason = ChatFinishReason.Stop,
            Usage = new UsageDetails { InputTokenCount = 1_200, CachedInputTokenCount = 1_024, OutputTokenCount = 40 },
        });
        await using var recorder = Recorders.Over(_ledger, o =>
        {
            o.Agent = "reviewer";
            o.Tags["team"] = "search";
        });
        using var client = new ChatClientBuilder(provider).Use(inner => new TallyChatClient(inner, recorder)).Build();

        var response = await client.GetResponseAsync(Prompt, new ChatOptions { ModelId = "gpt-4o" });
        await recorder.FlushAsync();

        Assert.Equal("secret answer", response.Text);
        var call = Assert.Single(_ledger.Calls);
        Assert.Equal(SourceNames.Sdk, call.Source);
        Assert.Equal("resp_1", call.CallKey);
        Assert.Equal("gpt-4o-2024-08-06", call.Model);
        Assert.Equal("test-provider", call.Provider);
        Assert.Equal(new TokenUsage(176, 1_024, null, null, 40, null), call.Usage);
        Assert.Equal(StopReason.EndTurn, call.StopReason);
        Assert.Equal("stop", call.StopReasonRaw);
        Assert.Equal("conv-9", call.SessionId);
        Assert.Equal("reviewer", call.Agent);
        Assert.Equal("search", call.Tags!["team"]);
        Assert.NotNull(call.DurationMs);
        Assert.Null(call.ErrorType);
    }

    [Fact]
    public async Task Without_a_response_model_the_request_model_is_recorded()
    {
        var provider = new TestChatClient().Returns(new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok")) { Usage = new UsageDetails { InputTokenCount = 3, OutputTokenCount = 1 } });
        await using var recorder = Recorders.Over(_ledger);
        using var client = new TallyChatClient(provider, recorder);

        await client.GetResponseAsync(Prompt, new ChatOptions { ModelId = "claude-sonnet-4-5" });
        await recorder.FlushAsync();

        var call = Assert.Single(_ledger.Calls);
        Assert.Equal("claude-sonnet-4-5", call.Model);
        Assert.Equal("test-session", call.SessionId);
        Assert.Equal(StopReason.Unknown, call.StopReason);
    }

    [Fact]
    public async Task Streaming_usage_sent_as_cumulative_snapshots_is_the_last_snapshot_not_their_sum()
    {
        var provider = new TestChatClient().Streams(
            new ChatResponseUpdate(ChatRole.Assistant, "Hel") { ModelId = "claude-sonnet-4-5", ResponseId = "msg_1" },
            TestChatClient.Usage(new UsageDetails { InputTokenCount = 2_000, CachedInputTokenCount = 1_800, OutputTokenCount = 1 }),
            TestChatClient.Text("lo"),
            TestChatClient.Usage(new UsageDetails { InputTokenCount = 2_000, CachedInputTokenCount = 1_800, OutputTokenCount = 60 }),
            new ChatResponseUpdate { FinishReason = ChatFinishReason.Stop },
            TestChatClient.Usage(new UsageDetails { InputTokenCount = 2_000, CachedInputTokenCount = 1_800, OutputTokenCount = 95 }));
        await using var recorder = Recorders.Over(_ledger);
        using var client = new TallyChatClient(provider, recorder);

        var text = "";
        await foreach (var update in client.GetStreamingResponseAsync(Prompt))
        {
            text += update.Text;
        }

        await recorder.FlushAsync();

        Assert.Equal("Hello", text);
        var call = Assert.Single(_ledger.Calls);
        Assert.Equal("msg_1", call.CallKey);
        Assert.Equal(new TokenUsage(200, 1_800, null, null, 95, null), call.Usage);
        Assert.Equal(StopReason.EndTurn, call.StopReason);
    }

    [Fact]
    public async Task Streaming_without_usage_records_the_call_with_unknown_buckets()
    {
        var provider = new TestChatClient().Streams(
            new ChatResponseUpdate(ChatRole.Assistant, "hi") { ModelId = "gpt-4o-mini" },
            new ChatResponseUpdate { FinishReason = ChatFinishReason.Length });
        await using var recorder = Recorders.Over(_ledger);
        using var client = new TallyChatClient(provider, recorder);

        await foreach (var _ in client.GetStreamingResponseAsync(Prompt))
        {
        }

        await recorder.FlushAsync();

        var call = Assert.Single(_ledger.Calls);
        Assert.Equal(TokenUsage.None, call.Usage);
        Assert.False(call.Usage.IsReported);
        Assert.Equal(StopReason.MaxTokens, call.StopReason);
    }

    [Fact]
    public async Task Streaming_cache_writes_in_additional_counts_and_reasoning_land_in_their_buckets()
    {
        var provider = new TestChatClient().Streams(
            new ChatResponseUpdate(ChatRole.Assistant, "thinking done") { ModelId = "claude-opus-4-1" },
            TestChatClient.Usage(new UsageDetails
            {
                InputTokenCount = 5_000,
                CachedInputTokenCount = 3_000,
                OutputTokenCount = 900,
                ReasoningTokenCount = 600,
                AdditionalCounts = new() { ["CacheCreationInputTokens"] = 1_500 },
            }));
        await using var recorder = Recorders.Over(_ledger);
        using var client = new TallyChatClient(provider, recorder);

        await foreach (var _ in client.GetStreamingResponseAsync(Prompt))
        {
        }

        await recorder.FlushAsync();

        Assert.Equal(new TokenUsage(500, 3_000, 1_500, null, 900, 600), Assert.Single(_ledger.Calls).Usage);
    }

    [Fact]
    public async Task An_exception_from_the_provider_passes_through_unchanged_and_the_call_is_recorded_with_its_error_type()
    {
        var error = new HttpRequestException("rate limited");
        var provider = new TestChatClient().Throws(error);
        await using var recorder = Recorders.Over(_ledger);
        using var client = new TallyChatClient(provider, recorder);

        var thrown = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetResponseAsync(Prompt, new ChatOptions { ModelId = "gpt-4o" }));
        await recorder.FlushAsync();

        Assert.Same(error, thrown);
        var call = Assert.Single(_ledger.Calls);
        Assert.Equal(typeof(HttpRequestException).FullName, call.ErrorType);
        Assert.Equal("gpt-4o", call.Model);
        Assert.False(call.Usage.IsReported);
    }

    [Fact]
    public async Task A_stream_that_fails_midway_passes_the_exception_through_and_records_no_usage()
    {
        var error = new InvalidOperationException("connection reset");
        var provider = new TestChatClient { ThrowAfterStream = error }.Streams(
            new ChatResponseUpdate(ChatRole.Assistant, "par") { ModelId = "gpt-4o" },
            TestChatClient.Usage(new UsageDetails { InputTokenCount = 10, OutputTokenCount = 2 }));
        await using var recorder = Recorders.Over(_ledger);
        using var client = new TallyChatClient(provider, recorder);

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await foreach (var _ in client.GetStreamingResponseAsync(Prompt))
            {
            }
        });
        await recorder.FlushAsync();

        Assert.Same(error, thrown);
        var call = Assert.Single(_ledger.Calls);
        Assert.Equal(typeof(InvalidOperationException).FullName, call.ErrorType);
        Assert.Equal(TokenUsage.None, call.Usage);
    }

    [Fact]
    public async Task An_exclusive_input_adapter_is_noted_once_in_the_log()
    {
        var logs = new TestLoggerFactory();
        var provider = new TestChatClient();
        for (var i = 0; i < 3; i++)
        {
            provider.Returns(new ChatResponse(new ChatMessage(ChatRole.Assistant, "x"))
            {
                ModelId = "claude-sonnet-4-5",
                Usage = new UsageDetails { InputTokenCount = 10, CachedInputTokenCount = 5_000, OutputTokenCount = 3 },
            });
        }

        await using var recorder = Recorders.Over(_ledger);
        using var client = new TallyChatClient(provider, recorder, logger: logs.CreateLogger("test"));

        for (var i = 0; i < 3; i++)
        {
            await client.GetResponseAsync(Prompt);
        }

        await recorder.FlushAsync();

        Assert.All(_ledger.Calls, c => Assert.Equal(10, c.Usage.Input));
        Assert.Single(logs.Entries, e => e.Message.Contains("without the cache", StringComparison.Ordinal));
    }
}
