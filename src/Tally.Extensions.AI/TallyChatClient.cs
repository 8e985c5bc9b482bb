using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tally.Model;

namespace Tally.Extensions.AI;

/// <summary>
/// A chat-client middleware that records every call it passes to the inner client into Tally (one
/// record per call: model, provider, token buckets, finish reason, duration, conversation), through
/// a <see cref="TallyRecorder"/>. Add it with <c>ChatClientBuilder.UseTally()</c>.
/// </summary>
/// <remarks>
/// <para>
/// Place it closest to the provider, after <c>UseFunctionInvocation()</c> and
/// <c>UseDistributedCache()</c>: there each call it sees is one billed provider call. Outside function
/// invocation it would see one call per user turn with the tool loop's usage summed; outside a
/// response cache it would record cache hits, which the provider never billed, as calls.
/// </para>
/// <para>
/// Responses and exceptions pass through unchanged. A failed call is recorded with its error type
/// and no usage; a stream the consumer abandons is recorded with the usage seen so far (unknown if
/// none). Prompt and response text are never recorded. Recording never throws into the app.
/// </para>
/// </remarks>
public sealed class TallyChatClient : DelegatingChatClient
{
    private const string UnknownModel = "unknown";

    private readonly TallyRecorder _recorder;
    private readonly bool _ownsRecorder;
    private readonly string? _agent;
    private readonly IReadOnlyDictionary<string, string>? _tags;
    private readonly string? _provider;
    private readonly ILogger _logger;
    private ChatClientMetadata? _metadata;
    private bool _metadataRead;
    private int _loggedExclusiveInput;
    private int _loggedReasoningOutside;

    /// <summary>Creates the middleware over <paramref name="innerClient"/>, recording through <paramref name="recorder"/> (which the caller owns).</summary>
    /// <param name="innerClient">The client to record.</param>
    /// <param name="recorder">Where calls are recorded.</param>
    /// <param name="agent">The agent name for this pipeline's records; null for the recorder's.</param>
    /// <param name="tags">Tags for this pipeline's records, added to the recorder's; null for none.</param>
    /// <param name="logger">Where notes about the adapter's conventions go; null for nowhere.</param>
    public TallyChatClient(IChatClient innerClient, TallyRecorder recorder, string? agent = null, IReadOnlyDictionary<string, string>? tags = null, ILogger? logger = null)
        : this(innerClient, recorder, ownsRecorder: false, agent, tags, logger)
    {
    }

    internal TallyChatClient(IChatClient innerClient, TallyRecorder recorder, bool ownsRecorder, string? agent, IReadOnlyDictionary<string, string>? tags, ILogger? logger, string? provider = null)
        : base(innerClient)
    {
        ArgumentNullException.ThrowIfNull(recorder);
        _recorder = recorder;
        _ownsRecorder = ownsRecorder;
        _agent = agent;
        _tags = tags is { Count: > 0 } ? tags : null;
        _provider = provider ?? recorder.ProviderOverride;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The recorder this middleware records through.</summary>
    public TallyRecorder Recorder => _recorder;

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        ChatResponse response;
        try
        {
            response = await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (RecordFailure(e, options, started))
        {
            throw; // never reached: the filter records and declines, so the exception passes through untouched
        }

        var duration = Stopwatch.GetElapsedTime(started);
        Record(options, response.ModelId, response.ResponseId, response.ConversationId, response.FinishReason, response.Usage, duration);
        return response;
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        var stream = new StreamState();
        IAsyncEnumerator<ChatResponseUpdate> updates;
        try
        {
            updates = base.GetStreamingResponseAsync(messages, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
        }
        catch (Exception e) when (RecordFailure(e, options, started))
        {
            throw;
        }

        try
        {
            while (true)
            {
                ChatResponseUpdate update;
                try
                {
                    if (!await updates.MoveNextAsync().ConfigureAwait(false))
                    {
                        break;
                    }

                    update = updates.Current;
                }
                catch (Exception e) when (stream.Fail(e))
                {
                    throw;
                }

                stream.Observe(update);
                yield return update;
            }
        }
        finally
        {
            await updates.DisposeAsync().ConfigureAwait(false);
            var duration = stream.LastReceived is { } last ? Stopwatch.GetElapsedTime(started, last) : Stopwatch.GetElapsedTime(started);
            if (stream.Error is { } error)
            {
                RecordFailure(error, options, started);
            }
            else
            {
                Record(options, stream.ModelId, stream.ResponseId, stream.ConversationId, stream.FinishReason, stream.Usage, duration);
            }
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && _ownsRecorder)
        {
            _recorder.Dispose(); // flushes what was recorded
        }

        base.Dispose(disposing);
    }

    private ChatClientMetadata? Metadata
    {
        get
        {
            if (!_metadataRead)
            {
                _metadata = InnerClient.GetService<ChatClientMetadata>();
                _metadataRead = true;
            }

            return _metadata;
        }
    }

    private void Record(
        ChatOptions? options, string? responseModel, string? responseId, string? conversationId,
        ChatFinishReason? finishReason, UsageDetails? usage, TimeSpan duration)
    {
        try
        {
            var buckets = UsageMapping.ToBuckets(usage, out var convention);
            NoteConvention(convention);
            var requestModel = RequestModel(options);
            _recorder.Record(new LlmCallRecord
            {
                Model = responseModel is { Length: > 0 } ? responseModel : requestModel ?? UnknownModel,
                RequestModel = requestModel,
                Provider = _provider ?? Metadata?.ProviderName,
                Usage = buckets,
                FinishReason = finishReason?.Value,
                Duration = duration,
                ConversationId = conversationId ?? options?.ConversationId,
                ResponseId = responseId,
                Agent = _agent,
                Tags = _tags,
            });
        }
        catch (Exception e)
        {
            _logger.LogWarning(e, "Tally could not record a chat call.");
        }
    }

    /// <summary>Records a failed call; always returns false, so that as an exception filter it lets the exception pass untouched.</summary>
    private bool RecordFailure(Exception error, ChatOptions? options, long started)
    {
        try
        {
            var requestModel = RequestModel(options);
            _recorder.Record(new LlmCallRecord
            {
                Model = requestModel ?? UnknownModel,
                RequestModel = requestModel,
                Provider = _provider ?? Metadata?.ProviderName,
                Usage = TokenUsage.None,
                Duration = Stopwatch.GetElapsedTime(started),
                ConversationId = options?.ConversationId,
                Agent = _agent,
                Tags = _tags,
                ErrorType = error.GetType().FullName,
            });
        }
        catch (Exception e)
        {
            _logger.LogWarning(e, "Tally could not record a failed chat call.");
        }

        return false;
    }

    private string? RequestModel(ChatOptions? options) => options?.ModelId is { Length: > 0 } model ? model : Metadata?.DefaultModelId;

    private void NoteConvention(UsageMapping.Convention convention)
    {
        if (convention.HasFlag(UsageMapping.Convention.ExclusiveInput) && Interlocked.Exchange(ref _loggedExclusiveInput, 1) == 0)
        {
            _logger.LogInformation("The chat client reports input tokens without the cache (cache counts exceed input); Tally keeps its input count as fresh input.");
        }

        if (convention.HasFlag(UsageMapping.Convention.ReasoningOutsideOutput) && Interlocked.Exchange(ref _loggedReasoningOutside, 1) == 0)
        {
            _logger.LogInformation("The chat client reports reasoning tokens outside output (reasoning exceeds output); Tally adds them to output.");
        }
    }

    /// <summary>What a stream told about its call, update by update.</summary>
    private sealed class StreamState
    {
        public string? ModelId;
        public string? ResponseId;
        public string? ConversationId;
        public ChatFinishReason? FinishReason;
        public UsageDetails? Usage;
        public long? LastReceived;
        public Exception? Error;

        public void Observe(ChatResponseUpdate update)
        {
            LastReceived = Stopwatch.GetTimestamp();
            ModelId ??= update.ModelId;
            ResponseId ??= update.ResponseId;
            ConversationId ??= update.ConversationId;
            FinishReason = update.FinishReason ?? FinishReason;
            foreach (var content in update.Contents)
            {
                if (content is UsageContent usage)
                {
                    Usage = UsageMapping.Merge(Usage, usage.Details);
                }
            }
        }

        /// <summary>Keeps the error; false, so that as a filter it lets the exception pass untouched.</summary>
        public bool Fail(Exception error)
        {
            Error = error;
            return false;
        }
    }
}
