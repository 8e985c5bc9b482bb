using System.Security.Cryptography;
using System.Threading.Channels;
using Tally.Ledger;

namespace Tally.Ingest;

/// <summary>
/// Moves what is new in the agents' logs into a ledger: discovers files, reads each from its
/// cursor on all cores, and commits records together with the cursors that cover them.
/// </summary>
/// <remarks>
/// Correctness does not depend on the cursors: every write is an upsert on a record's identity,
/// so a file read twice (after a crash, by a second ingest running at once, or because it was
/// replaced) never counts a call twice. Cursors only make a rerun cheap: a file whose size and
/// modification time are unchanged is not opened at all. Each commit is one transaction, so a
/// process killed at any point leaves the ledger as it was after its last whole batch.
/// </remarks>
public sealed class Ingester
{
    /// <summary>How many bytes at the start of a file identify it (see <see cref="FileCursor.Fingerprint"/>).</summary>
    internal const int FingerprintBytes = 4096;

    private static readonly string EmptyFingerprint = Convert.ToHexString(SHA256.HashData(ReadOnlySpan<byte>.Empty))[..32];

    private readonly ILedger _ledger;
    private readonly IReadOnlyList<IUsageSource> _sources;

    /// <summary>Creates an ingester over the given sources.</summary>
    public Ingester(ILedger ledger, IReadOnlyList<IUsageSource> sources)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(sources);
        _ledger = ledger;
        _sources = sources;
        BatchCalls = ledger.PreferredBatchRecords;
    }

    /// <summary>Records (calls and tool results) per commit; defaults to the ledger's <see cref="ILedger.PreferredBatchRecords"/>.</summary>
    public int BatchCalls { get; init; }

    /// <summary>
    /// Stamped on every call that does not name its own user and host (see <see cref="RecordOrigin"/>);
    /// null (the default) leaves calls as the sources read them.
    /// </summary>
    public RecordOrigin? Origin { get; init; }

    /// <summary>How many files are read at once; defaults to the number of cores.</summary>
    public int Parallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>Runs one sweep over every source.</summary>
    /// <param name="progress">Receives progress after each file, from the committing thread.</param>
    /// <param name="cancellationToken">Stops the sweep; what was committed stays committed.</param>
    public async Task<IngestResult> RunAsync(IProgress<IngestProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var discoveries = new List<(IUsageSource Source, SourceDiscovery Discovery)>();
        var work = new List<FileWork>();
        foreach (var source in _sources)
        {
            var discovery = source.Discover();
            discoveries.Add((source, discovery));
            var cursors = await _ledger.GetCursorsAsync(source.Name, cancellationToken).ConfigureAwait(false);
            foreach (var file in discovery.Files)
            {
                cursors.TryGetValue(file.Path, out var cursor);
                // Ledgers keep times to the millisecond, so compare at that precision.
                if (cursor is not null && cursor.Size == file.Size
                    && cursor.ModifiedUtc.ToUnixTimeMilliseconds() == file.ModifiedUtc.ToUnixTimeMilliseconds())
                {
                    continue;
                }

                work.Add(new FileWork(source, file, cursor));
            }
        }

        // Largest first, so one huge file does not start last and leave a core idle at the end.
        work.Sort((a, b) => b.File.Size.CompareTo(a.File.Size));

        var before = await CountCallsAsync(cancellationToken).ConfigureAwait(false);
        var skipped = new List<SkippedLine>();
        var totalBytes = work.Sum(w => w.File.Size);
        long bytesDone = 0;
        var filesDone = 0;

        var results = Channel.CreateBounded<(FileWork Work, FileReadResult Result, FileCursor? Cursor)>(
            new BoundedChannelOptions(Math.Max(2, Parallelism * 2)) { SingleReader = true });

        // One slot per core. Readers take one per file and the writer one per file it stores, so the
        // writer gets a core when it has work instead of a third of two. Otherwise the readers
        // outrun it and, once they finish, its backlog runs on one core while the other idles.
        var parallelism = Math.Max(1, Parallelism);
        var slots = new SemaphoreSlim(parallelism); // no wait handle is ever made, so nothing to dispose
        using var readersCancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var readers = Parallel.ForEachAsync(
            work,
            new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = readersCancel.Token },
            async (item, ct) =>
            {
                await slots.WaitAsync(ct).ConfigureAwait(false);
                (FileWork, FileReadResult, FileCursor?) read;
                try
                {
                    read = ReadFile(item, Origin);
                }
                finally
                {
                    slots.Release();
                }

                await results.Writer.WriteAsync(read, ct).ConfigureAwait(false);
            });
        var readersDone = readers.ContinueWith(
            t => results.Writer.TryComplete(t.Exception?.GetBaseException()),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);

        // Each file's records go into the open transaction as they arrive, so the ledger stores
        // them while the readers go on, and the last commit has little left to do.
        ILedgerTransaction? transaction = null;
        var records = 0;
        try
        {
            await foreach (var (item, result, cursor) in results.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                skipped.AddRange(result.Skipped);
                filesDone++;
                bytesDone += item.File.Size;
                var part = new IngestBatch();
                part.Calls.AddRange(result.Calls);
                part.ToolResults.AddRange(result.ToolResults);
                if (cursor is not null)
                {
                    part.Cursors.Add(cursor);
                }

                if (!part.IsEmpty)
                {
                    await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
                    try
                    {
                        transaction ??= await _ledger.BeginAsync(cancellationToken).ConfigureAwait(false);
                        await transaction.WriteAsync(part, cancellationToken).ConfigureAwait(false);
                        records += part.Calls.Count + part.ToolResults.Count;
                        if (records >= BatchCalls)
                        {
                            await CommitAsync(transaction, cancellationToken).ConfigureAwait(false);
                            transaction = null;
                            records = 0;
                        }
                    }
                    finally
                    {
                        slots.Release();
                    }
                }

                progress?.Report(new IngestProgress(filesDone, work.Count, bytesDone, totalBytes));
            }

            if (transaction is not null)
            {
                await CommitAsync(transaction, cancellationToken).ConfigureAwait(false);
                transaction = null;
            }
        }
        finally
        {
            if (transaction is not null)
            {
                await transaction.DisposeAsync().ConfigureAwait(false); // rolls back what a failure or cancellation left uncommitted
            }

            await readersCancel.CancelAsync().ConfigureAwait(false);
            await readersDone.ConfigureAwait(false);
        }

        await readers.ConfigureAwait(false);
        var after = await CountCallsAsync(cancellationToken).ConfigureAwait(false);
        return new IngestResult(
            discoveries.Select(d => new SourceSweep(d.Source.Name, d.Discovery.SearchedRoots, d.Discovery.Files.Count)).ToList(),
            filesDone,
            Math.Max(0, after - before),
            skipped);
    }

    /// <summary>Commits the transaction and ends it, whether or not the commit succeeds.</summary>
    private static async Task CommitAsync(ILedgerTransaction transaction, CancellationToken cancellationToken)
    {
        await using (transaction.ConfigureAwait(false))
        {
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<long> CountCallsAsync(CancellationToken cancellationToken)
    {
        var statistics = await _ledger.GetStatisticsAsync(cancellationToken).ConfigureAwait(false);
        return statistics.CallsBySource.Values.Sum();
    }

    /// <summary>Reads one file; a file that cannot be read (deleted since discovery, no permission) is reported and left for the next sweep.</summary>
    private static (FileWork Work, FileReadResult Result, FileCursor? Cursor) ReadFile(FileWork work, RecordOrigin? origin)
    {
        try
        {
            var start = ResumePoint(work);
            var result = work.Source.Read(work.File, start);
            if (origin is not null)
            {
                // Stamped here, on the readers' threads, not on the one that feeds the writer.
                for (var i = 0; i < result.Calls.Count; i++)
                {
                    result.Calls[i] = origin.Stamp(result.Calls[i]);
                }
            }

            var earlierSkips = start.Offset > 0 ? work.Cursor!.LinesSkipped : 0;
            var cursor = new FileCursor(
                work.Source.Name,
                work.File.Path,
                FingerprintAfter(work, start, result.Next.Offset),
                result.Next.Offset,
                result.Next.Line,
                work.File.Size,
                work.File.ModifiedUtc,
                earlierSkips + result.Skipped.Count,
                result.Next.State);
            return (work, result, cursor);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var failed = new FileReadResult { Next = ReadStart.Beginning };
            failed.Skipped.Add(new SkippedLine(work.File.Path, 0, $"could not read the file: {e.Message}"));
            return (work, failed, null);
        }
    }

    /// <summary>
    /// Where to resume: the cursor when the file still starts with the bytes it had and has not
    /// shrunk below the cursor; otherwise the file was replaced or rewritten, so read it again
    /// from the start (the ledger's upserts keep that from double counting).
    /// </summary>
    private static ReadStart ResumePoint(FileWork work)
    {
        var cursor = work.Cursor;
        if (cursor is null || cursor.Offset == 0 || work.File.Size < cursor.Offset)
        {
            return ReadStart.Beginning;
        }

        return Fingerprint(work.File.Path, cursor.Offset) == cursor.Fingerprint
            ? new ReadStart(cursor.Offset, cursor.Line, cursor.State)
            : ReadStart.Beginning;
    }

    /// <summary>
    /// The fingerprint for a cursor at <paramref name="consumed"/>, opening the file again only when
    /// it must: nothing consumed hashes nothing, and a read that resumed from a cursor already proved
    /// the first bytes unchanged (<see cref="ResumePoint"/>), so a cursor that covered all of them
    /// keeps its fingerprint. Sources that read one small file per record spare an open per file.
    /// </summary>
    private static string FingerprintAfter(FileWork work, ReadStart start, long consumed) =>
        start.Offset > 0 && work.Cursor is { } cursor && cursor.Offset >= FingerprintBytes
            ? cursor.Fingerprint
            : Fingerprint(work.File.Path, consumed);

    /// <summary>A hash of the file's first bytes, up to <paramref name="consumed"/>: content that appending cannot change.</summary>
    internal static string Fingerprint(string path, long consumed)
    {
        if (consumed == 0)
        {
            return EmptyFingerprint;
        }

        var length = (int)Math.Min(FingerprintBytes, consumed);
        Span<byte> head = stackalloc byte[FingerprintBytes];
        using (var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            var read = 0;
            while (read < length)
            {
                var n = RandomAccess.Read(handle, head[read..length], read);
                if (n == 0)
                {
                    break;
                }

                read += n;
            }

            length = read;
        }

        return Convert.ToHexString(SHA256.HashData(head[..length]))[..32];
    }

    private sealed record FileWork(IUsageSource Source, LogFile File, FileCursor? Cursor);
}
