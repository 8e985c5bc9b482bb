using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Tally.Extensions.AI.Tests.TestDoubles;
using Tally.Ledger;
using Tally.Ledger.Sqlite;
using Tally.Model;

namespace Tally.Extensions.AI.Tests;

/// <summary>UseTally and AddTally over the real embedded ledger: disposing the pipeline or the services flushes.</summary>
public sealed class LedgerEndToEndTests : IDisposable
{
    private static readonly ChatMessage[] Prompt = [new(ChatRole.User, "hi")];

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "tally-sdk-tests", Guid.NewGuid().ToString("N"));

    private string LedgerPath => Path.Combine(_directory, "ledger.db");

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public async Task Disposing_a_use_tally_pipeline_flushes_its_calls_into_the_sqlite_ledger()
    {
        var provider = new TestChatClient()
            .Returns(Response("gpt-4o", 100, 20))
            .Returns(Response("gpt-4o", 300, 40));
        using (var client = new ChatClientBuilder(provider).UseTally(o =>
        {
            o.Ledger = LedgerPath;
            o.Agent = "planner";
            o.Tags["env"] = "test";
        }).Build())
        {
            await client.GetResponseAsync(Prompt);
            await client.GetResponseAsync(Prompt);
        }

        var calls = await ReadLedgerAsync();

        Assert.Equal(2, calls.Count);
        Assert.Equal(400, calls.Sum(c => c.Usage.Input));
        Assert.All(calls, c =>
        {
            Assert.Equal(SourceNames.Sdk, c.Source);
            Assert.Equal("planner", c.Agent);
            Assert.Equal("test-provider", c.Provider);
        });
    }

    [Fact]
    public async Task Pipelines_built_from_services_with_add_tally_share_its_recorder_and_disposing_the_services_flushes()
    {
        var services = new ServiceCollection().AddTally(o => o.Ledger = LedgerPath);
        await using (var provider = services.BuildServiceProvider())
        {
            var fake = new TestChatClient().Returns(Response("claude-sonnet-4-5", 7, 3));
            using var client = new ChatClientBuilder(fake).UseTally(o => o.Agent = "search").Build(provider);
            var recorder = provider.GetRequiredService<TallyRecorder>();

            await client.GetResponseAsync(Prompt);
            recorder.Record(new LlmCallRecord { Model = "claude-haiku-4-5", Usage = new TokenUsage(1, null, null, null, 1, null), Agent = "hand-written" });
            Assert.Same(recorder, client.GetService<TallyChatClient>()!.Recorder);
        }

        var calls = await ReadLedgerAsync();

        Assert.Equal(["hand-written", "search"], calls.Select(c => c.Agent!).Order(StringComparer.Ordinal));
    }

    private static ChatResponse Response(string model, long input, long output) => new(new ChatMessage(ChatRole.Assistant, "ok"))
    {
        ModelId = model,
        FinishReason = ChatFinishReason.Stop,
        Usage = new UsageDetails { InputTokenCount = input, OutputTokenCount = output },
    };

    private async Task<List<LlmCall>> ReadLedgerAsync()
    {
        await using var ledger = await SqliteLedger.OpenAsync(LedgerPath);
        var calls = new List<LlmCall>();
        await foreach (var call in ledger.ReadCallsAsync(CallFilter.All))
        {
            calls.Add(call);
        }

        return calls;
    }
}
