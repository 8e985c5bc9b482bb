using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Tally.Model;

namespace Tally.Ledger;

/// <summary>
/// Copies one ledger's calls and tool results into another (a local SQLite ledger into the team's
/// PostgreSQL ledger, for people who collect offline and share later), sending only what is new or
/// changed since the last push to the same target.
/// </summary>
/// <remarks>
/// <para>
/// The reads are the ledger contract's own (<see cref="ILedger.ReadCallsAsync"/>,
/// <see cref="ILedger.ReadToolResultsAsync"/>), so any backend can be the source. What was sent is
/// remembered as a fingerprint (64 bits of SHA-256 over every field) of each record, in a state
/// file per target; a record whose fingerprint is already there is not sent again, while a call
/// that changed (a more complete observation, an earlier sighting) has a new fingerprint and is.
/// </para>
/// <para>
/// Correctness does not depend on the state file: the target's writes are upserts, so sending a
/// record again never double counts. The file is replaced only after every batch is committed;
/// an interrupted push simply sends again what it had sent. File cursors are not copied: they are
/// positions in the source machine's files.
/// </para>
/// </remarks>
public static class LedgerPush
{
    private const int RecordsPerBatch = 10_000;

    /// <summary>Sends what the target has not received from this source yet.</summary>
    /// <param name="source">The ledger to read.</param>
    /// <param name="target">The ledger to write.</param>
    /// <param name="stateFile">Where the fingerprints of what was sent are kept for this (source, target) pair.</param>
    /// <param name="cancellationToken">Stops the push; batches already committed stay committed.</param>
    public static async Task<PushResult> RunAsync(ILedger source, ILedger target, string stateFile, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentException.ThrowIfNullOrWhiteSpace(stateFile);

        var sent = ReadState(stateFile);
        var now = new List<ulong>();
        var batch = new IngestBatch();
        long calls = 0, toolResults = 0, unchanged = 0;

        await foreach (var call in source.ReadCallsAsync(CallFilter.All, cancellationToken).ConfigureAwait(false))
        {
            var fingerprint = Fingerprint(call);
            now.Add(fingerprint);
            if (sent.Contains(fingerprint))
            {
                unchanged++;
                continue;
            }

            batch.Calls.Add(call);
            calls++;
            batch = await FlushWhenFullAsync(target, batch, cancellationToken).ConfigureAwait(false);
        }

        await foreach (var result in source.ReadToolResultsAsync(CallFilter.All, cancellationToken).ConfigureAwait(false))
        {
            var fingerprint = Fingerprint(result);
            now.Add(fingerprint);
            if (sent.Contains(fingerprint))
            {
                unchanged++;
                continue;
            }

            batch.ToolResults.Add(result);
            toolResults++;
            batch = await FlushWhenFullAsync(target, batch, cancellationToken).ConfigureAwait(false);
        }

        await target.CommitAsync(batch, cancellationToken).ConfigureAwait(false);
        WriteState(stateFile, now);
        return new PushResult(calls, toolResults, unchanged);
    }

    /// <summary>The state file for a (source, target) pair under <paramref name="directory"/>, named by a hash of both locations.</summary>
    public static string StateFile(string directory, string sourceLocation, string targetLocation)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(sourceLocation + "\n" + targetLocation));
        return Path.Combine(directory, "push", Convert.ToHexString(hash)[..24].ToLowerInvariant() + ".sent");
    }

    private static async Task<IngestBatch> FlushWhenFullAsync(ILedger target, IngestBatch batch, CancellationToken cancellationToken)
    {
        if (batch.Calls.Count + batch.ToolResults.Count < RecordsPerBatch)
        {
            return batch;
        }

        await target.CommitAsync(batch, cancellationToken).ConfigureAwait(false);
        return new IngestBatch();
    }

    private static ulong Fingerprint(LlmCall c) => Hash(
        "call", c.Source, c.CallKey, ((int)c.KeyKind).ToString(CultureInfo.InvariantCulture), c.SessionId,
        c.Timestamp.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture), c.Model, c.Provider,
        Number(c.Usage.Input), Number(c.Usage.CacheRead), Number(c.Usage.CacheWrite5m), Number(c.Usage.CacheWrite1h),
        Number(c.Usage.Output), Number(c.Usage.Reasoning), ((int)c.StopReason).ToString(CultureInfo.InvariantCulture), c.StopReasonRaw,
        c.Project, c.ProjectKey, c.RequestId, c.Agent, c.ParentSessionId, c.IsSidechain ? "1" : "0", Number(c.DurationMs),
        c.ReportedCost?.ToString(CultureInfo.InvariantCulture), c.User, c.Host, c.ErrorType, Number(c.RunTurns),
        c.Tags is null ? null : string.Join('\u001e', c.Tags.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => t.Key + "=" + t.Value)));

    private static ulong Fingerprint(ToolResult t) => Hash(
        "tool", t.Source, t.ToolUseId, t.SessionId, t.CallKey, t.Name, t.Target,
        t.Timestamp?.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture), Number(t.OutputBytes),
        t.Truncated?.ToString(), t.IsError?.ToString(), t.ConsumerCallKey);

    private static string? Number(long? value) => value?.ToString(CultureInfo.InvariantCulture);

    /// <summary>64 bits of SHA-256 over the fields, each marked as present or null so that null and "" differ.</summary>
    private static ulong Hash(params string?[] fields)
    {
        var text = new StringBuilder();
        foreach (var field in fields)
        {
            text.Append(field is null ? '\u0000' : '\u0001').Append(field).Append('\u001f');
        }

        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()), digest);
        return BinaryPrimitives.ReadUInt64LittleEndian(digest);
    }

    private static HashSet<ulong> ReadState(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }

        var bytes = File.ReadAllBytes(path);
        var set = new HashSet<ulong>(bytes.Length / 8);
        for (var i = 0; i + 8 <= bytes.Length; i += 8)
        {
            set.Add(BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(i)));
        }

        return set;
    }

    /// <summary>Replaces the state file in one step (write aside, then move), so a crash leaves the old one or the new one.</summary>
    private static void WriteState(string path, List<ulong> fingerprints)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var bytes = new byte[fingerprints.Count * 8];
        for (var i = 0; i < fingerprints.Count; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(i * 8), fingerprints[i]);
        }

        var temporary = path + ".tmp";
        File.WriteAllBytes(temporary, bytes);
        File.Move(temporary, path, overwrite: true);
    }
}

/// <summary>What a push sent.</summary>
/// <param name="CallsSent">Calls that were new or changed since the last push to the target.</param>
/// <param name="ToolResultsSent">Tool results that were new or changed.</param>
/// <param name="Unchanged">Records not sent because the target already had them as they are.</param>
public sealed record PushResult(long CallsSent, long ToolResultsSent, long Unchanged);
