using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace Tally.Extensions.AI.Tests.TestDoubles;

/// <summary>A scripted provider: each call takes the next scripted response (or stream), and counts the calls that reached it.</summary>
internal sealed class TestChatClient : IChatClient
{
    private readonly Queue<Func<ChatResponse>> _responses = new();
    private readonly Queue<Func<IReadOnlyList<ChatResponseUpdate>>> _streams = new();

    public ChatClientMetadata Metadata { get; init; } = new("test-provider", null, "test-model-default");

    public int Calls { get; private set; }

    /// <summary>When set, a stream throws this after yielding its updates.</summary>
    public Exception? ThrowAfterStream { get; set; }

    public TestChatClient Returns(ChatResponse response)
    {
        _responses.Enqueue(() => response);
        return this;
    }

    public TestChatClient Throws(Exception error)
    {
        _responses.Enqueue(() => throw error);
        return this;
    }

    public TestChatClient Streams(params ChatResponseUpdate[] updates)
    {
        _streams.Enqueue(() => updates);
        return this;
    }

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Calls++;
        return Task.FromResult(_responses.Dequeue()());
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Calls++;
        foreach (var update in _streams.Dequeue()())
        {
            await Task.Yield();
            yield return update;
        }

        if (ThrowAfterStream is { } error)
        {
            throw error;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType == typeof(ChatClientMetadata) ? Metadata
        : serviceKey is null && serviceType.IsInstanceOfType(this) ? this
        : null;

    public void Dispose()
    {
    }

    public static ChatResponseUpdate Text(string text) => new(ChatRole.Assistant, text);

    public static ChatResponseUpdate Usage(UsageDetails details) => new() { Role = ChatRole.Assistant, Contents = [new UsageContent(details)] };
}
