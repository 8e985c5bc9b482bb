using Microsoft.Extensions.AI;
using Tally.Extensions.AI.Tests.TestDoubles;

namespace Tally.Extensions.AI.Tests;

/// <summary>Where UseTally sits in a pipeline decides what it records: closest to the provider, it records what was billed.</summary>
public sealed class PlacementTests : IDisposable
{
    private static readonly ChatMessage[] Prompt = [new(ChatRole.User, "What is the weather?")];

    private readonly TestLedger _ledger = new();

    public void Dispose() => _ledger.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Fact]
    public async Task Inside_function_invocation_each_provider_round_trip_is_one_record_with_its_own_usage()
    {
        var provider = new TestChatClient()
            .Returns(new ChatResponse(new ChatMessage(ChatRole.Assistant, [new FunctionCallContent("call-1", "weather")]))
            {
                ModelId = "gpt-4o",
                FinishReason = ChatFinishReason.ToolCalls,
                Usage = new UsageDetails { InputTokenCount = 100, OutputTokenCount = 10 },
            })
            .Returns(new ChatResponse(new ChatMessage(ChatRole.Assistant, "Sunny."))
            {
                ModelId = "gpt-4o",
                FinishReason = ChatFinishReason.Stop,
                Usage = new UsageDetails { InputTokenCount = 130, OutputTokenCount = 4 },
            });
        await using var recorder = Recorders.Over(_ledger);
        using var client = new ChatClientBuilder(provider)
            .UseFunctionInvocation()
            .Use(inner => new TallyChatClient(inner, recorder))
            .Build();

        var response = await client.GetResponseAsync(Prompt, new ChatOptions { Tools = [AIFunctionFactory.Create(() => "sunny", "weather")] });
        await recorder.FlushAsync();

        Assert.Equal(2, provider.Calls);
        Assert.Equal(230, response.Usage!.InputTokenCount); // what function invocation reports: a sum
        var calls = _ledger.Calls.OrderBy(c => c.Usage.Input).ToList();
        Assert.Equal([100L, 130L], calls.Select(c => c.Usage.Input!.Value));
        Assert.Equal([Tally.Model.StopReason.ToolUse, Tally.Model.StopReason.EndTurn], calls.Select(c => c.StopReason));
    }

    [Fact]
    public async Task Inside_a_response_cache_a_cache_hit_is_not_recorded_because_the_provider_billed_nothing()
    {
        var provider = new TestChatClient().Returns(new ChatResponse(new ChatMessage(ChatRole.Assistant, "42"))
        {
            ModelId = "gpt-4o",
            Usage = new UsageDetails { InputTokenCount = 50, OutputTokenCount = 2 },
        });
        await using var recorder = Recorders.Over(_ledger);
        using var client = new ChatClientBuilder(provider)
            .UseDistributedCache(new TestDistributedCache())
            .Use(inner => new TallyChatClient(inner, recorder))
            .Build();

        var first = await client.GetResponseAsync(Prompt);
        var second = await client.GetResponseAsync(Prompt);
        await recorder.FlushAsync();

        Assert.Equal("42", second.Text);
        Assert.Equal(50, second.Usage!.InputTokenCount); // the cache replays the stored usage...
        Assert.Equal(1, provider.Calls);                  // ...of a call made once
        Assert.Single(_ledger.Calls);
    }

    [Fact]
    public async Task Outside_a_response_cache_a_replayed_response_would_be_recorded_again()
    {
        var provider = new TestChatClient().Returns(new ChatResponse(new ChatMessage(ChatRole.Assistant, "42"))
        {
            ModelId = "gpt-4o",
            Usage = new UsageDetails { InputTokenCount = 50, OutputTokenCount = 2 },
        });
        await using var recorder = Recorders.Over(_ledger);
        using var client = new ChatClientBuilder(provider)
            .Use(inner => new TallyChatClient(inner, recorder))
            .UseDistributedCache(new TestDistributedCache())
            .Build();

        await client.GetResponseAsync(Prompt);
        await client.GetResponseAsync(Prompt);
        await recorder.FlushAsync();

        Assert.Equal(1, provider.Calls);
        Assert.Equal(2, _ledger.Calls.Count); // the wrong placement: spend the provider never billed
    }
}
