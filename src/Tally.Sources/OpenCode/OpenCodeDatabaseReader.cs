using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Tally.Ingest;
using Tally.Projects;

namespace Tally.Sources.OpenCode;

/// <summary>
/// Reads OpenCode's SQLite database (<c>opencode.db</c>): tables <c>message(id, session_id,
/// time_created, time_updated, data)</c>, <c>part(id, message_id, session_id, time_created,
/// time_updated, data)</c> and <c>session(id, parent_id, directory, title, ...)</c>, where
/// <c>data</c> is the same JSON as a <c>storage/</c> file minus its id and session id.
/// </summary>
/// <remarks>
/// <para>The cursor is the database's own clock, kept in <see cref="ReadStart.State"/> as
/// <c>v1:&lt;max time_updated seen, ms&gt;</c>. A rerun reads the messages and tool parts updated
/// since then, less <see cref="Overlap"/>: OpenCode updates rows in place (tokens are filled in when a
/// message completes) and stamps <c>time_updated</c> before it takes the write lock, so a row can
/// commit after a later-stamped one. Re-reading a row is harmless; the ledger upserts on its key.
/// Without a <c>time_updated</c> column every read is a full read.</para>
/// <para><see cref="FileReadResult.Next"/>'s offset is the length of SQLite's fixed 16-byte
/// header string: the ingester fingerprints the bytes below the offset to tell a replaced file, and
/// those never change while the database's pages do.</para>
/// </remarks>
internal sealed class OpenCodeDatabaseReader
{
    internal const string StatePrefix = "v1:";
    internal const int HeaderLength = 16;

    /// <summary>How far before the last seen update a rerun starts again.</summary>
    internal static readonly long Overlap = (long)TimeSpan.FromMinutes(1).TotalMilliseconds;

    private readonly ProjectKeyResolver _projects;

    public OpenCodeDatabaseReader(ProjectKeyResolver projects) => _projects = projects;

    public FileReadResult Read(LogFile file, ReadStart start)
    {
        var length = new FileInfo(file.Path).Length; // throws FileNotFoundException (an IOException) when gone
        var since = ParseState(start.State) is { } seen ? seen - Overlap : (long?)null;

        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = file.Path,
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = false, // hold no handle after the read: OpenCode may checkpoint, a test may delete
        }.ToString();

        try
        {
            using var connection = new SqliteConnection(connectionString);
            connection.Open();
            using (var busy = connection.CreateCommand())
            {
                busy.CommandText = "PRAGMA busy_timeout = 5000;";
                busy.ExecuteNonQuery();
            }

            var maxSeen = ParseState(start.State);
            var messageColumns = Columns(connection, "message");
            if (!messageColumns.Contains("data") || !messageColumns.Contains("id"))
            {
                // An install that has not created its tables yet: nothing to read, nothing wrong.
                return new FileReadResult { Next = Next(length, maxSeen) };
            }

            var result = new FileReadResult { Next = ReadStart.Beginning };
            var sessions = ReadSessions(connection);
            var partColumns = Columns(connection, "part");
            ReadMessages(connection, file.Path, messageColumns, partColumns, since, sessions, result, ref maxSeen);
            ReadToolParts(connection, file.Path, partColumns, since, result, ref maxSeen);
            var done = new FileReadResult { Next = Next(length, maxSeen) };
            done.Calls.AddRange(result.Calls);
            done.ToolResults.AddRange(result.ToolResults);
            done.Skipped.AddRange(result.Skipped);
            return done;
        }
        catch (SqliteException e)
        {
            // Not a database, encrypted, locked past the timeout, or a schema we cannot query.
            throw new IOException($"Cannot read the OpenCode database {file.Path}: {e.Message}", e);
        }
    }

    private static ReadStart Next(long length, long? maxSeen) =>
        new(Math.Min(HeaderLength, length), 0, maxSeen is { } max ? StatePrefix + max.ToString(CultureInfo.InvariantCulture) : null);

    internal static long? ParseState(string? state) =>
        state is not null && state.StartsWith(StatePrefix, StringComparison.Ordinal)
            && long.TryParse(state.AsSpan(StatePrefix.Length), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : null;

    private void ReadMessages(
        SqliteConnection connection,
        string path,
        HashSet<string> columns,
        HashSet<string> partColumns,
        long? since,
        Dictionary<string, OpenCodeSession> sessions,
        FileReadResult result,
        ref long? maxSeen)
    {
        var incremental = columns.Contains("time_updated");
        var sessionColumn = columns.Contains("session_id") ? "session_id" : "NULL";
        var updatedColumn = incremental ? "time_updated" : "NULL";
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT rowid, id, {sessionColumn}, {updatedColumn}, data FROM message"
            + (incremental && since is not null ? " WHERE time_updated >= $since" : "")
            + " ORDER BY rowid";
        if (since is { } from)
        {
            command.Parameters.AddWithValue("$since", from);
        }

        using var stepFinish = StepFinishCommand(connection, partColumns);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var rowId = reader.GetInt64(0);
            if (!reader.IsDBNull(3))
            {
                var updated = reader.GetInt64(3);
                maxSeen = maxSeen is { } max && max > updated ? max : updated;
            }

            if (reader.IsDBNull(4))
            {
                result.Skipped.Add(new SkippedLine(path, rowId, "message has no data"));
                continue;
            }

            OpenCodeMessage message;
            try
            {
                message = OpenCodeRecords.ParseMessage(
                    Utf8(reader.GetString(4)),
                    reader.IsDBNull(1) ? null : reader.GetString(1),
                    reader.IsDBNull(2) ? null : reader.GetString(2));
            }
            catch (JsonException)
            {
                result.Skipped.Add(new SkippedLine(path, rowId, "not valid JSON"));
                continue;
            }
            catch (OpenCodeRecords.MalformedException e)
            {
                result.Skipped.Add(new SkippedLine(path, rowId, e.Message));
                continue;
            }
            catch (InvalidOperationException)
            {
                result.Skipped.Add(new SkippedLine(path, rowId, OpenCodeRecords.NotUtf8));
                continue;
            }

            if (message.Role != "assistant" || !message.HasTokens)
            {
                continue;
            }

            var reason = message.Finish is null && stepFinish is not null ? LastStepFinishReason(stepFinish, message.Id) : null;
            sessions.TryGetValue(message.SessionId, out var session);
            if (OpenCodeRecords.ToCall(message, session, reason, _projects) is { } call)
            {
                result.Calls.Add(call);
            }
        }
    }

    private static SqliteCommand? StepFinishCommand(SqliteConnection connection, HashSet<string> partColumns)
    {
        if (!partColumns.Contains("message_id") || !partColumns.Contains("data"))
        {
            return null;
        }

        var command = connection.CreateCommand();
        // instr() before any JSON parsing: most parts are text and tool output, and a malformed one
        // must not fail the whole statement the way json_extract() would.
        command.CommandText = "SELECT data FROM part WHERE message_id = $message AND instr(data, 'step-finish') > 0 ORDER BY id";
        command.Parameters.Add("$message", SqliteType.Text);
        command.Prepare();
        return command;
    }

    private static string? LastStepFinishReason(SqliteCommand command, string messageId)
    {
        command.Parameters["$message"].Value = messageId;
        string? reason = null;
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            if (reader.IsDBNull(0))
            {
                continue;
            }

            try
            {
                var part = OpenCodeRecords.ParsePart(Utf8(reader.GetString(0)));
                if (part.IsStepFinish)
                {
                    reason = part.StepFinishReason ?? reason;
                }
            }
            catch (JsonException)
            {
                // Reported when the part is read as a tool part, if it is one; a stop reason is not worth a skip.
            }
        }

        return reason;
    }

    private static void ReadToolParts(SqliteConnection connection, string path, HashSet<string> columns, long? since, FileReadResult result, ref long? maxSeen)
    {
        if (!columns.Contains("data") || !columns.Contains("message_id"))
        {
            return;
        }

        var incremental = columns.Contains("time_updated");
        var created = columns.Contains("time_created") ? "time_created" : "NULL";
        var session = columns.Contains("session_id") ? "session_id" : "NULL";
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT rowid, message_id, {session}, {created}, {(incremental ? "time_updated" : "NULL")}, data FROM part"
            + " WHERE instr(data, '\"tool\"') > 0"
            + (incremental && since is not null ? " AND time_updated >= $since" : "")
            + " ORDER BY rowid";
        if (since is { } from)
        {
            command.Parameters.AddWithValue("$since", from);
        }

        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var rowId = reader.GetInt64(0);
            if (!reader.IsDBNull(4))
            {
                var updated = reader.GetInt64(4);
                maxSeen = maxSeen is { } max && max > updated ? max : updated;
            }

            if (reader.IsDBNull(5))
            {
                continue;
            }

            try
            {
                var part = OpenCodeRecords.ParsePart(Utf8(reader.GetString(5)));
                if (!part.IsTool)
                {
                    continue;
                }

                result.ToolResults.Add(part.ToToolResult(
                    reader.IsDBNull(1) ? null : reader.GetString(1),
                    reader.IsDBNull(2) ? null : reader.GetString(2),
                    reader.IsDBNull(3) ? null : reader.GetInt64(3)));
            }
            catch (JsonException)
            {
                result.Skipped.Add(new SkippedLine(path, rowId, "part is not valid JSON"));
            }
            catch (OpenCodeRecords.MalformedException e)
            {
                result.Skipped.Add(new SkippedLine(path, rowId, e.Message));
            }
            catch (InvalidOperationException)
            {
                result.Skipped.Add(new SkippedLine(path, rowId, OpenCodeRecords.NotUtf8));
            }
        }
    }

    /// <summary>
    /// A column's JSON text as UTF-8, as <see cref="JsonDocument.Parse(string, JsonDocumentOptions)"/>
    /// transcodes it: text that is not valid UTF-16 throws an <see cref="ArgumentException"/>.
    /// </summary>
    private static byte[] Utf8(string json) => StrictUtf8.GetBytes(json);

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static Dictionary<string, OpenCodeSession> ReadSessions(SqliteConnection connection)
    {
        var sessions = new Dictionary<string, OpenCodeSession>(StringComparer.Ordinal);
        var columns = Columns(connection, "session");
        if (!columns.Contains("id"))
        {
            return sessions;
        }

        string Column(string name) => columns.Contains(name) ? name : "NULL";
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT id, {Column("parent_id")}, {Column("directory")}, {Column("title")} FROM session";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            if (reader.IsDBNull(0))
            {
                continue;
            }

            var id = reader.GetString(0);
            string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i) is { Length: > 0 } s ? s : null;
            sessions[id] = new OpenCodeSession(id, Text(1), Text(2), Text(3));
        }

        return sessions;
    }

    private static HashSet<string> Columns(SqliteConnection connection, string table)
    {
        var columns = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT name FROM pragma_table_info($table)";
        command.Parameters.AddWithValue("$table", table);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            columns.Add(reader.GetString(0));
        }

        return columns;
    }
}
