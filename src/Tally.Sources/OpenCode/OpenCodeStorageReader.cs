using System.Collections.Concurrent;
using System.Text.Json;
using Tally.Ingest;
using Tally.Projects;

namespace Tally.Sources.OpenCode;

/// <summary>
/// Reads one message file of the <c>storage/</c> layout, with the session file it belongs to
/// (<c>storage/session/&lt;projectID&gt;/&lt;sessionID&gt;.json</c>) and its parts
/// (<c>storage/part/&lt;msgID&gt;/*.json</c>).
/// </summary>
/// <remarks>
/// A message file is small and rewritten in place as the message progresses (tokens are filled in
/// when it completes), so it is always read whole: a cursor offset into a rewritten file means
/// nothing, and re-reading a message is harmless because the ledger upserts on its key.
/// </remarks>
internal sealed class OpenCodeStorageReader
{
    // Session files never move and their parent and directory never change: look each up once per source.
    private readonly ConcurrentDictionary<string, OpenCodeSession> _sessions = new(StringComparer.Ordinal);
    private readonly ProjectKeyResolver _projects;

    public OpenCodeStorageReader(ProjectKeyResolver projects) => _projects = projects;

    public FileReadResult Read(LogFile file)
    {
        var bytes = ReadWhole(file.Path);

        // Nothing to resume from: the next read of this file takes it whole again.
        var result = new FileReadResult { Next = ReadStart.Beginning };
        var fileId = Path.GetFileNameWithoutExtension(file.Path);
        var messageDirectory = Path.GetDirectoryName(file.Path);
        var storage = StorageRoot(messageDirectory);

        OpenCodeMessage message;
        try
        {
            using var document = JsonDocument.Parse(bytes);
            message = OpenCodeRecords.ParseMessage(document.RootElement, fileId, Path.GetFileName(messageDirectory));
        }
        catch (JsonException)
        {
            result.Skipped.Add(new SkippedLine(file.Path, 1, "not valid JSON"));
            return result;
        }
        catch (OpenCodeRecords.MalformedException e)
        {
            result.Skipped.Add(new SkippedLine(file.Path, 1, e.Message));
            return result;
        }

        if (message.Role != "assistant")
        {
            return result;
        }

        string? stepFinishReason = null;
        if (storage is not null)
        {
            ReadParts(Path.Combine(storage, OpenCodeDiscovery.PartDirectory, message.Id), message, result, out stepFinishReason);
        }

        var session = storage is null ? null : FindSession(storage, message.SessionId);
        if (OpenCodeRecords.ToCall(message, session, stepFinishReason, _projects) is { } call)
        {
            result.Calls.Add(call);
        }

        return result;
    }

    private static void ReadParts(string partDirectory, OpenCodeMessage message, FileReadResult result, out string? stepFinishReason)
    {
        stepFinishReason = null;
        List<string> parts;
        try
        {
            parts = Directory.EnumerateFiles(partDirectory, "*.json").ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return; // no parts folder (a message without tools), or it went away: nothing to add
        }

        // Part ids sort in creation order, so the last step-finish read is the message's final one.
        parts.Sort(StringComparer.Ordinal);
        foreach (var path in parts)
        {
            ReadOnlyMemory<byte> bytes;
            try
            {
                bytes = ReadWhole(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue; // deleted since listing (a reverted message): nothing to count
            }

            try
            {
                using var document = JsonDocument.Parse(bytes);
                var root = document.RootElement;
                switch (OpenCodeRecords.PartType(root))
                {
                    case "tool":
                        result.ToolResults.Add(OpenCodeRecords.ToToolResult(root, message.Id, message.SessionId, message.CreatedMs));
                        break;
                    case "step-finish":
                        stepFinishReason = OpenCodeRecords.StepFinishReason(root) ?? stepFinishReason;
                        break;
                }
            }
            catch (JsonException)
            {
                result.Skipped.Add(new SkippedLine(path, 1, "not valid JSON"));
            }
            catch (OpenCodeRecords.MalformedException e)
            {
                result.Skipped.Add(new SkippedLine(path, 1, e.Message));
            }
        }
    }

    private OpenCodeSession? FindSession(string storage, string sessionId)
    {
        var key = storage + Path.DirectorySeparatorChar + sessionId;
        if (_sessions.TryGetValue(key, out var known))
        {
            return known;
        }

        var sessions = Path.Combine(storage, OpenCodeDiscovery.SessionDirectory);
        if (!Directory.Exists(sessions))
        {
            return null;
        }

        try
        {
            foreach (var project in Directory.EnumerateDirectories(sessions))
            {
                var path = Path.Combine(project, sessionId + ".json");
                if (!File.Exists(path))
                {
                    continue;
                }

                using var document = JsonDocument.Parse(ReadWhole(path));
                if (OpenCodeRecords.ParseSession(document.RootElement) is { } session)
                {
                    return _sessions.GetOrAdd(key, session);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            // A missing or broken session file costs the call its project and subagent flag, nothing more.
        }

        return null;
    }

    // A store holds a few files per call (message, parts), nearly all of a few KiB: read each
    // into one buffer per thread rather than a new array per file, with one read where it fits.
    [ThreadStatic]
    private static byte[]? t_buffer;

    private const int BufferSize = 64 * 1024;
    private const int LargestKeptBuffer = 1024 * 1024;

    /// <summary>
    /// The whole file, in a buffer that stays valid until this thread's next read (a
    /// <see cref="JsonDocument"/> over it must be disposed first).
    /// </summary>
    private static ReadOnlyMemory<byte> ReadWhole(string path)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var buffer = t_buffer ?? new byte[BufferSize];
        var length = 0;
        while (true)
        {
            var wanted = buffer.Length - length;
            var read = RandomAccess.Read(handle, buffer.AsSpan(length), length);
            length += read;
            if (read < wanted)
            {
                break; // a regular file reads short only at its end
            }

            Array.Resize(ref buffer, buffer.Length * 2);
        }

        // Keep the buffer for the next file, unless one huge file grew it.
        t_buffer = buffer.Length <= LargestKeptBuffer ? buffer : null;
        return buffer.AsMemory(0, length);
    }

    /// <summary>The <c>storage</c> folder above <c>storage/message/&lt;session&gt;/</c>, or null for a file elsewhere.</summary>
    private static string? StorageRoot(string? messageDirectory)
    {
        var messages = Path.GetDirectoryName(messageDirectory);
        return messages is not null && Path.GetFileName(messages) == OpenCodeDiscovery.MessageDirectory
            ? Path.GetDirectoryName(messages)
            : null;
    }
}
