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
    private readonly ConcurrentDictionary<(string Storage, string SessionId), OpenCodeSession> _sessions = new();
    private readonly ProjectKeyResolver _projects;

    // The storage folder of the latest file read: nearly every file of a sweep has the same one.
    private StorageFolders? _lastStorage;

    public OpenCodeStorageReader(ProjectKeyResolver projects) => _projects = projects;

    public FileReadResult Read(LogFile file)
    {
        var files = OpenCodeStorageFiles.ForThisThread;
        var bytes = files.ReadWhole(file.Path);

        // Nothing to resume from: the next read of this file takes it whole again.
        var result = new FileReadResult { Next = ReadStart.Beginning };
        var storage = StorageRoot(file.Path);

        OpenCodeMessage message;
        try
        {
            message = OpenCodeRecords.ParseMessageFile(bytes.Span, file.Path);
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
        catch (InvalidOperationException)
        {
            result.Skipped.Add(new SkippedLine(file.Path, 1, OpenCodeRecords.NotUtf8));
            return result;
        }

        if (message.Role != "assistant")
        {
            return result;
        }

        string? stepFinishReason = null;
        if (storage is not null)
        {
            ReadParts(files, storage.Parts, message, result, out stepFinishReason);
        }

        var session = storage is null ? null : FindSession(storage.Storage, message.SessionId);
        if (OpenCodeRecords.ToCall(message, session, stepFinishReason, _projects) is { } call)
        {
            result.Calls.Add(call);
        }

        return result;
    }

    private static void ReadParts(
        OpenCodeStorageFiles files, string parts, OpenCodeMessage message, FileReadResult result, out string? stepFinishReason)
    {
        stepFinishReason = null;

        // Part ids sort in creation order, so the last step-finish read is the message's final one.
        files.OpenFolder(parts, message.Id);
        try
        {
            for (var i = 0; i < files.Count; i++)
            {
                if (files.ReadFile(i) is not { } bytes)
                {
                    continue; // deleted since listing (a reverted message): nothing to count
                }

                try
                {
                    var part = OpenCodeRecords.ParsePart(bytes.Span);
                    if (part.IsTool)
                    {
                        result.ToolResults.Add(part.ToToolResult(message.Id, message.SessionId, message.CreatedMs));
                    }
                    else if (part.IsStepFinish)
                    {
                        stepFinishReason = part.StepFinishReason ?? stepFinishReason;
                    }
                }
                catch (JsonException)
                {
                    result.Skipped.Add(new SkippedLine(files.PathOf(i), 1, "not valid JSON"));
                }
                catch (OpenCodeRecords.MalformedException e)
                {
                    result.Skipped.Add(new SkippedLine(files.PathOf(i), 1, e.Message));
                }
                catch (InvalidOperationException)
                {
                    result.Skipped.Add(new SkippedLine(files.PathOf(i), 1, OpenCodeRecords.NotUtf8));
                }
            }
        }
        finally
        {
            files.CloseFolder();
        }
    }

    private OpenCodeSession? FindSession(string storage, string sessionId)
    {
        var key = (storage, sessionId);
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

                using var document = JsonDocument.Parse(OpenCodeStorageFiles.ForThisThread.ReadWhole(path));
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

    /// <summary>The <c>storage</c> folder above <c>storage/message/&lt;session&gt;/</c>, or null for a file elsewhere.</summary>
    private StorageFolders? StorageRoot(string messageFile)
    {
        var messages = Path.GetDirectoryName(Path.GetDirectoryName(messageFile.AsSpan()));
        if (!Path.GetFileName(messages).SequenceEqual(OpenCodeDiscovery.MessageDirectory))
        {
            return null;
        }

        var last = _lastStorage;
        if (last is not null && Path.GetDirectoryName(messages).SequenceEqual(last.Storage))
        {
            return last;
        }

        // Made by the string overload, which also collapses repeated separators (the span one does not).
        var storage = Path.GetDirectoryName(messages.ToString())!;
        return _lastStorage = new StorageFolders(storage, Path.Combine(storage, OpenCodeDiscovery.PartDirectory));
    }

    /// <summary>A <c>storage</c> folder and its <c>part</c> folder.</summary>
    private sealed record StorageFolders(string Storage, string Parts);
}
