using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tally.Extensions.AI.Metrics;
using Tally.Extensions.AI.Recording;
using Tally.Ingest;
using Tally.Ledger;
using Tally.Model;
using Tally.Pricing;

namespace Tally.Extensions.AI;

/// <summary>
/// Records LLM calls into Tally's ledger without slowing or breaking the app: the one path that the
/// <see cref="TallyChatClient"/> middleware and hand-written agents both use.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="Record(LlmCallRecord)"/> validates the record, builds the ledger's call, emits the
/// metrics and queues it, on the caller's thread, and returns; a single background task writes
/// what is queued in batches, one transaction each. Nothing about the ledger ever fails the caller.
/// </para>
/// <para>
/// The queue is bounded (<see cref="TallyOptions.BufferCapacity"/>). When the ledger cannot be
/// reached, records wait in it while the writer retries with backoff, and one warning is logged
/// (another when the ledger is back). When it is full, the oldest records are dropped and counted
/// in <see cref="DroppedCount"/>, which is logged, never silently lost.
/// </para>
/// <para>
/// <see cref="FlushAsync"/> waits until everything recorded before it is written;
/// <see cref="DisposeAsync"/> (or <see cref="Dispose"/>) flushes, waiting at most
/// <see cref="TallyOptions.ShutdownTimeout"/>, then stops and closes the ledger.
/// </para>
/// </remarks>
public sealed class TallyRecorder : IAsyncDisposable, IDisposable
{
    /// <summary>The name of the <see cref="System.Diagnostics.Metrics.Meter"/> the recorder emits on.</summary>
    public const string MeterName = TallyMetrics.MeterName;

    private static readonly ConcurrentDictionary<string, StopReason> ParsedStopReasons = new(StringComparer.Ordinal);
    private static readonly string UserName = Environment.UserName;
    private static readonly string HostName = Environment.MachineName;
    // Records gather this long before the writer takes them, so one wake-up of the writer serves
    // many records and Record rarely has to wake anyone: that keeps it cheap on the caller's thread.
    private static readonly TimeSpan GatherDelay = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan LastRetryDelay = TimeSpan.FromSeconds(30);

    private readonly TallyOptions _options;
    private readonly IReadOnlyDictionary<string, string>? _defaultTags;
    private readonly ICallSink[] _sinks;
    private readonly Channel<LlmCall> _queue;
    private readonly ILogger _logger;
    private readonly TallyMetrics _metrics;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _writer;
    private TaskCompletionSource _progress = NewSignal();
    private TaskCompletionSource _flushRequested = NewSignal();
    private readonly string _keyPrefix = Guid.NewGuid().ToString("N");
    private long _keyCounter;
    private long _recorded;
    private long _written;
    private long _dropped;
    private long _droppedLogged;
    private int _reading;
    private int _disposed;
    private bool _unreachable; // touched by the writer task only

    /// <summary>Creates a recorder that writes to the ledger (and event file) the options name.</summary>
    /// <param name="options">Where and how to record; null for the defaults (the user's embedded ledger).</param>
    /// <param name="loggerFactory">Where the recorder's warnings go; null for nowhere.</param>
    /// <exception cref="ArgumentException">The ledger location cannot be read (a malformed PostgreSQL URL, say).</exception>
    public TallyRecorder(TallyOptions? options = null, ILoggerFactory? loggerFactory = null)
        : this(SinksFor(options ?? new TallyOptions()), options, loggerFactory)
    {
    }

    /// <summary>Creates a recorder that writes to the ledger <paramref name="openLedger"/> opens (on first write, and again after a failed open); the recorder disposes it.</summary>
    /// <param name="openLedger">Opens the ledger.</param>
    /// <param name="options">How to record (<see cref="TallyOptions.Ledger"/> is ignored; an <see cref="TallyOptions.EventFile"/> is written too).</param>
    /// <param name="loggerFactory">Where the recorder's warnings go; null for nowhere.</param>
    public TallyRecorder(Func<CancellationToken, ValueTask<ILedger>> openLedger, TallyOptions? options = null, ILoggerFactory? loggerFactory = null)
        : this(WithEventFile(new LedgerSink(openLedger ?? throw new ArgumentNullException(nameof(openLedger)), "the given ledger"), options), options, loggerFactory)
    {
    }

    private TallyRecorder(ICallSink[] sinks, TallyOptions? options, ILoggerFactory? loggerFactory)
    {
        _options = (options ?? new TallyOptions()).Clone();
        if (_options.BufferCapacity < 1 || _options.MaxBatchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "BufferCapacity and MaxBatchSize must be at least 1.");
        }

        _defaultTags = _options.Tags.Count == 0 ? null : new Dictionary<string, string>(_options.Tags, StringComparer.Ordinal);
        _sinks = sinks;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<TallyRecorder>();
        _metrics = new TallyMetrics(static () => PriceCatalog.Embedded);
        _queue = Channel.CreateBounded<LlmCall>(
            new BoundedChannelOptions(_options.BufferCapacity)
            {
                FullMode = BoundedChannelFullMode.DropOldest,
                SingleReader = true,
                SingleWriter = false,
                AllowSynchronousContinuations = false,
            },
            _ => Interlocked.Increment(ref _dropped));
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>Records that are dropped because the buffer was full (or arrived after disposal), since the recorder started.</summary>
    public long DroppedCount => Interlocked.Read(ref _dropped);

    /// <summary>Records written to every destination since the recorder started.</summary>
    public long WrittenCount => Interlocked.Read(ref _written);

    /// <summary>The session of records without a conversation id.</summary>
    public string SessionId => _options.SessionId;

    /// <summary>The provider name the options force, if any.</summary>
    internal string? ProviderOverride => _options.Provider;

    internal System.Diagnostics.Metrics.Meter Meter => _metrics.Meter;

    /// <summary>Records one provider call. Returns at once; the write happens in the background.</summary>
    /// <exception cref="ArgumentException">The record is invalid: an empty model, a negative count, duration or cost, or more reasoning than output.</exception>
    public void Record(LlmCallRecord call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var built = Build(call);
        _metrics.RecordCall(built, call.RequestModel);
        Enqueue(built);
    }

    /// <summary>
    /// Records a run's usage reported as totals per model (see <see cref="RunUsageRecord"/>): one
    /// record per model, keyed by (run id, model), each with the run's duration and turn count.
    /// </summary>
    /// <exception cref="ArgumentException">The run is invalid: an empty run id, no models, an empty model name, a negative count, duration, cost or turn count.</exception>
    public void RecordRun(RunUsageRecord run)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentException.ThrowIfNullOrWhiteSpace(run.RunId, nameof(run));
        if (run.Models is null || run.Models.Count == 0)
        {
            throw new ArgumentException("A run's usage needs at least one model.", nameof(run));
        }

        if (run.Turns is < 0)
        {
            throw new ArgumentException($"The run's turn count is negative ({run.Turns}).", nameof(run));
        }

        var calls = new List<LlmCall>(run.Models.Count);
        foreach (var (model, usage) in run.Models)
        {
            ArgumentNullException.ThrowIfNull(usage, nameof(run));
            var call = Build(new LlmCallRecord
            {
                Model = model,
                Provider = run.Provider,
                Usage = usage.Usage,
                FinishReason = run.FinishReason,
                Duration = run.Duration,
                Timestamp = run.Timestamp,
                ConversationId = run.RunId,
                CallId = run.RunId + "/" + model,
                Agent = run.Agent,
                Tags = run.Tags,
                Project = run.Project,
                Cost = usage.Cost,
            });
            calls.Add(call with { RunTurns = run.Turns });
        }

        foreach (var call in calls)
        {
            _metrics.RecordRunModel(call);
            Enqueue(call);
        }
    }

    /// <summary>Waits until every call recorded before this one is written (or counted as dropped).</summary>
    /// <remarks>While the ledger cannot be reached this waits for it; pass a token to give up.</remarks>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        var target = Interlocked.Read(ref _recorded);
        Volatile.Read(ref _flushRequested).TrySetResult(); // the writer stops gathering and writes now
        while (true)
        {
            var signal = Volatile.Read(ref _progress);
            if (IsSettled(target) || _writer.IsCompleted)
            {
                return;
            }

            await signal.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Flushes (waiting at most <see cref="TallyOptions.ShutdownTimeout"/>), stops the writer and closes the ledger.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _queue.Writer.TryComplete();
        Volatile.Read(ref _flushRequested).TrySetResult();
        var finished = await Task.WhenAny(_writer, Task.Delay(_options.ShutdownTimeout)).ConfigureAwait(false) == _writer;
        if (!finished)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            await _writer.ConfigureAwait(false);
        }

        var lost = Interlocked.Read(ref _recorded) - Interlocked.Read(ref _written) - DroppedCount;
        if (lost > 0)
        {
            _logger.LogError("Tally could not write {Count} recorded calls before shutting down: the ledger stayed unreachable for {Timeout}.", lost, _options.ShutdownTimeout);
        }

        LogDropped();
        foreach (var sink in _sinks)
        {
            try
            {
                await sink.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception e)
            {
                _logger.LogWarning(e, "Tally could not close {Location}.", sink.Location);
            }
        }

        _metrics.Dispose();
        _stop.Dispose();
    }

    /// <summary>Disposes synchronously (see <see cref="DisposeAsync"/>).</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private bool IsSettled(long target) =>
        Interlocked.Read(ref _written) + Interlocked.Read(ref _dropped) >= target && Volatile.Read(ref _reading) == 0;

    private void Enqueue(LlmCall call)
    {
        Interlocked.Increment(ref _recorded);
        if (!_queue.Writer.TryWrite(call))
        {
            Interlocked.Increment(ref _dropped); // recorded after disposal
        }
    }

    private LlmCall Build(LlmCallRecord record)
    {
        if (string.IsNullOrWhiteSpace(record.Model))
        {
            throw new ArgumentException("The call's model is empty.", nameof(record));
        }

        var usage = record.Usage;
        CheckCount(usage.Input, "input", nameof(record));
        CheckCount(usage.CacheRead, "cacheRead", nameof(record));
        CheckCount(usage.CacheWrite5m, "cacheWrite5m", nameof(record));
        CheckCount(usage.CacheWrite1h, "cacheWrite1h", nameof(record));
        CheckCount(usage.Output, "output", nameof(record));
        CheckCount(usage.Reasoning, "reasoning", nameof(record));
        if (usage is { Reasoning: { } reasoning, Output: { } output } && reasoning > output)
        {
            throw new ArgumentException($"The call's reasoning ({reasoning}) exceeds its output ({output}); output must include reasoning.", nameof(record));
        }

        if (record.Duration is { } duration && duration < TimeSpan.Zero)
        {
            throw new ArgumentException($"The call's duration is negative ({duration}).", nameof(record));
        }

        if (record.Cost is < 0)
        {
            throw new ArgumentException($"The call's cost is negative ({record.Cost}).", nameof(record));
        }

        var callId = record.CallId ?? record.ResponseId;
        var finishReason = string.IsNullOrEmpty(record.FinishReason) ? null : record.FinishReason;
        return new LlmCall
        {
            Source = SourceNames.Sdk,
            CallKey = callId ?? NewCallKey(),
            KeyKind = record.CallId is null && record.ResponseId is not null ? KeyKind.MessageId : KeyKind.Recorded,
            SessionId = string.IsNullOrEmpty(record.ConversationId) ? _options.SessionId : record.ConversationId,
            Timestamp = (record.Timestamp ?? DateTimeOffset.UtcNow).ToUniversalTime(),
            Model = record.Model,
            Provider = record.Provider ?? _options.Provider,
            Usage = usage,
            // An unrecognised reason is Other, with the raw string kept beside it.
            StopReason = ParseStopReason(finishReason),
            StopReasonRaw = finishReason,
            Project = record.Project,
            RequestId = record.ResponseId,
            Agent = record.Agent ?? _options.Agent,
            DurationMs = record.Duration is { } d ? (long)d.TotalMilliseconds : null,
            ReportedCost = record.Cost,
            ErrorType = record.ErrorType,
            Tags = MergeTags(record.Tags),
            User = UserName,
            Host = HostName,
        };
    }

    /// <summary>A key no other recorder makes: this recorder's random id and a counter (cheaper than a new GUID per call).</summary>
    private string NewCallKey() => string.Create(CultureInfo.InvariantCulture, $"{_keyPrefix}-{Interlocked.Increment(ref _keyCounter):x}");

    /// <summary><see cref="StopReasons.Parse"/>, remembered: a client sends a handful of distinct reasons, over and over.</summary>
    private static StopReason ParseStopReason(string? raw)
    {
        if (raw is null)
        {
            return StopReason.Unknown;
        }

        if (!ParsedStopReasons.TryGetValue(raw, out var reason))
        {
            reason = StopReasons.Parse(raw);
            if (ParsedStopReasons.Count < 256)
            {
                ParsedStopReasons.TryAdd(raw, reason);
            }
        }

        return reason;
    }

    private IReadOnlyDictionary<string, string>? MergeTags(IReadOnlyDictionary<string, string>? own)
    {
        if (own is null || own.Count == 0)
        {
            return _defaultTags;
        }

        if (_defaultTags is null)
        {
            return own;
        }

        var merged = new Dictionary<string, string>(_defaultTags, StringComparer.Ordinal);
        foreach (var (key, value) in own)
        {
            merged[key] = value;
        }

        return merged;
    }

    private static void CheckCount(long? count, string bucket, string paramName)
    {
        if (count is < 0)
        {
            throw new ArgumentException($"The call's {bucket} token count is negative ({count}).", paramName);
        }
    }

    private async Task WriteLoopAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<LlmCall>(_options.MaxBatchSize);
        try
        {
            while (await reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
            {
                await GatherAsync().ConfigureAwait(false);
                Volatile.Write(ref _reading, 1);
                while (batch.Count < _options.MaxBatchSize && reader.TryRead(out var call))
                {
                    batch.Add(call);
                }

                await WriteWithRetryAsync(batch).ConfigureAwait(false);
                Interlocked.Add(ref _written, batch.Count);
                batch.Clear();
                Volatile.Write(ref _reading, 0);
                LogDropped();
                Signal();
            }
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
            // Shutdown gave up on an unreachable ledger; DisposeAsync reports what was lost.
        }
        finally
        {
            Volatile.Write(ref _reading, 0);
            Signal();
        }
    }

    /// <summary>Waits for more records to gather, unless a batch is already full, or a flush or shutdown asks to write now.</summary>
    private async Task GatherAsync()
    {
        var flush = Volatile.Read(ref _flushRequested);
        if (_queue.Reader.Count < _options.MaxBatchSize && !flush.Task.IsCompleted && Volatile.Read(ref _disposed) == 0)
        {
            await Task.WhenAny(Task.Delay(GatherDelay, _stop.Token), flush.Task).ConfigureAwait(false);
        }

        if (flush.Task.IsCompleted)
        {
            Interlocked.CompareExchange(ref _flushRequested, NewSignal(), flush);
        }
    }

    /// <summary>Writes the batch to every sink, retrying each failed one with backoff until it succeeds or shutdown gives up.</summary>
    private async Task WriteWithRetryAsync(List<LlmCall> batch)
    {
        var pending = new List<ICallSink>(_sinks);
        var delay = FirstRetryDelay;
        var warned = false;
        while (true)
        {
            for (var i = pending.Count - 1; i >= 0; i--)
            {
                try
                {
                    await pending[i].WriteAsync(batch, _stop.Token).ConfigureAwait(false);
                    pending.RemoveAt(i);
                }
                catch (Exception e) when (!_stop.IsCancellationRequested)
                {
                    if (!warned && !_unreachable)
                    {
                        _logger.LogWarning(e, "Tally cannot write to {Location}; recorded calls wait in the buffer (up to {Capacity}) and are retried.", pending[i].Location, _options.BufferCapacity);
                    }

                    warned = true;
                }
            }

            if (pending.Count == 0)
            {
                if (_unreachable)
                {
                    _logger.LogInformation("Tally writes to the ledger again.");
                    _unreachable = false;
                }

                return;
            }

            _unreachable = true;
            await Task.Delay(delay, _stop.Token).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, LastRetryDelay.Ticks));
        }
    }

    private void LogDropped()
    {
        var dropped = Interlocked.Read(ref _dropped);
        var logged = Interlocked.Exchange(ref _droppedLogged, dropped);
        if (dropped > logged)
        {
            _logger.LogWarning("Tally dropped {Count} recorded calls because its buffer of {Capacity} was full ({Total} dropped in all).", dropped - logged, _options.BufferCapacity, dropped);
        }
    }

    private void Signal() => Interlocked.Exchange(ref _progress, NewSignal()).TrySetResult();

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static ICallSink[] SinksFor(TallyOptions options)
    {
        var sinks = new List<ICallSink>(2);
        if (options.Ledger is not null || options.EventFile is null)
        {
            // Resolved now, so a location that cannot be read fails at startup with one sentence, not on every write.
            var location = LedgerLocation.Resolve(options.Ledger, AgentEnvironment.Current);
            sinks.Add(new LedgerSink(async cancellationToken => await location.OpenAsync(null, cancellationToken).ConfigureAwait(false), location.Display));
        }

        return WithEventFile(sinks, options);
    }

    private static ICallSink[] WithEventFile(ICallSink ledger, TallyOptions? options) => WithEventFile([ledger], options);

    private static ICallSink[] WithEventFile(List<ICallSink> sinks, TallyOptions? options)
    {
        if (options?.EventFile is { } path)
        {
            sinks.Add(new EventFileSink(path));
        }

        return [.. sinks];
    }
}
