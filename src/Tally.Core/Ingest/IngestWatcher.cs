using System.Threading.Channels;

namespace Tally.Ingest;

/// <summary>
/// Keeps a ledger up to date while agents write: a sweep at start, then one after every burst of
/// file-system events under the sources' roots, and one at each polling interval in case events
/// are missed (network drives, roots created later, watcher overflows).
/// </summary>
/// <remarks>
/// Events only say "something changed": the sweep itself finds what, from the cursors, so a lost,
/// repeated or coalesced event never loses or duplicates a record, and the readers never consume
/// a half-written line. Sweeps never overlap. Stopping lets a sweep in progress finish, so every
/// cursor it advanced is committed with its records.
/// </remarks>
public sealed class IngestWatcher
{
    private readonly Ingester _ingester;
    private readonly IReadOnlyList<IUsageSource> _sources;

    /// <summary>Creates a watcher over the sources that <paramref name="ingester"/> sweeps.</summary>
    public IngestWatcher(Ingester ingester, IReadOnlyList<IUsageSource> sources)
    {
        ArgumentNullException.ThrowIfNull(ingester);
        ArgumentNullException.ThrowIfNull(sources);
        _ingester = ingester;
        _sources = sources;
    }

    /// <summary>How long to wait after an event for the burst it starts to settle.</summary>
    public TimeSpan Debounce { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary>The longest time between two sweeps, events or not.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Sweeps until <paramref name="cancellationToken"/> fires, reporting each sweep.</summary>
    public async Task RunAsync(Action<IngestResult> onSweep, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onSweep);
        var changes = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        var watchers = new List<FileSystemWatcher>();
        try
        {
            foreach (var root in _sources.SelectMany(s => s.Discover().SearchedRoots).Distinct(StringComparer.Ordinal))
            {
                if (Watch(root, changes.Writer) is { } watcher)
                {
                    watchers.Add(watcher);
                }
            }

            while (true)
            {
                // A sweep is not cancelled midway: stopping waits for it, so its cursors are saved.
                onSweep(await _ingester.RunAsync(cancellationToken: CancellationToken.None).ConfigureAwait(false));
                if (!await WaitForChangeAsync(changes.Reader, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }
            }
        }
        finally
        {
            foreach (var watcher in watchers)
            {
                watcher.Dispose();
            }
        }
    }

    /// <summary>Waits for an event (then for its burst to settle) or the polling interval; false when stopped.</summary>
    private async Task<bool> WaitForChangeAsync(ChannelReader<bool> changes, CancellationToken cancellationToken)
    {
        using var poll = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        poll.CancelAfter(PollInterval);
        try
        {
            await changes.ReadAsync(poll.Token).ConfigureAwait(false);
            await Task.Delay(Debounce, cancellationToken).ConfigureAwait(false);
            changes.TryRead(out _);
            return true;
        }
        catch (OperationCanceledException)
        {
            return !cancellationToken.IsCancellationRequested;
        }
    }

    private static FileSystemWatcher? Watch(string root, ChannelWriter<bool> changes)
    {
        if (File.Exists(root))
        {
            root = Path.GetDirectoryName(root)!;
        }

        if (!Directory.Exists(root))
        {
            return null; // polling finds it once it exists
        }

        try
        {
            var watcher = new FileSystemWatcher(root)
            {
                IncludeSubdirectories = true,
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
                InternalBufferSize = 64 * 1024,
            };
            FileSystemEventHandler changed = (_, _) => changes.TryWrite(true);
            watcher.Changed += changed;
            watcher.Created += changed;
            watcher.Renamed += (_, _) => changes.TryWrite(true);
            watcher.Error += (_, _) => changes.TryWrite(true); // an overflow lost events: sweep anyway
            watcher.EnableRaisingEvents = true;
            return watcher;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null; // out of inotify watches, say: polling still covers it
        }
    }
}
