using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace RecordingAgent;

/// <summary>
/// A fake model provider that plays a script instead of calling a network API: it asks for the
/// weather tool once, then answers, reporting usage the way the Anthropic adapter does (whole input
/// with cache reads inside it, cache writes under <c>CacheCreationInputTokens</c>).
/// </summary>
internal sealed class ScriptedProvider : IChatClient
{
    private static readonly ChatClientMetadata Metadata = new("anthropic", null, "claude-sonnet-4-5");

    private int _turn;

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var asked = messages.Last();
        ChatResponse response = asked.Role == ChatRole.Tool
            ? new(new ChatMessage(ChatRole.Assistant, "It is 18°C and sunny in Paris."))
            {
                FinishReason = ChatFinishReason.Stop,
                Usage = Usage(input: 2_450, cached: 2_048, cacheWrite: 300, output: 24),
            }
            : new(new ChatMessage(ChatRole.Assistant, [new FunctionCallContent($"call-{++_turn}", "get_weather", new Dictionary<string, object?> { ["city"] = "Paris" })]))
            {
                FinishReason = ChatFinishReason.ToolCalls,
                Usage = Usage(input: 2_400, cached: 0, cacheWrite: 2_048, output: 61, reasoning: 40),
            };
        response.ModelId = "claude-sonnet-4-5-20250929";
        response.ResponseId = $"msg_{Guid.NewGuid():N}";
        return Task.FromResult(response);
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var id = $"msg_{Guid.NewGuid():N}";
        foreach (var word in "Bring sunglasses, not an umbrella.".Split(' '))
        {
            await Task.Delay(5, cancellationToken);
            yield return new ChatResponseUpdate(ChatRole.Assistant, word + " ") { ModelId = "claude-haiku-4-5", ResponseId = id };
        }

        yield return new ChatResponseUpdate { FinishReason = ChatFinishReason.Stop, ResponseId = id };
        yield return new ChatResponseUpdate { Contents = [new UsageContent(Usage(input: 180, cached: 0, cacheWrite: 0, output: 9))], ResponseId = id };
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType == typeof(ChatClientMetadata) ? Metadata : null;

    public void Dispose()
    {
    }

    private static UsageDetails Usage(long input, long cached, long cacheWrite, long output, long? reasoning = null) => new()
    {
        InputTokenCount = input,
        CachedInputTokenCount = cached,
        OutputTokenCount = output,
        ReasoningTokenCount = reasoning,
        AdditionalCounts = cacheWrite > 0 ? new() { ["CacheCreationInputTokens"] = cacheWrite } : null,
    };
}
