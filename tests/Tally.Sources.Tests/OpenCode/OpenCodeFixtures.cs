using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Tally.Ingest;
using Tally.Projects;
using Tally.Sources.OpenCode;

namespace Tally.Sources.Tests.OpenCode;

/// <summary>The hand-written OpenCode storage tree, and a database built from the same records.</summary>
internal static class OpenCodeFixtures
{
    /// <summary>The data directory holding <c>storage/</c>.</summary>
    public static string Tree => Path.Combine(AppContext.BaseDirectory, "Fixtures", "opencode", "tree");

    public static string MessageFile(string session, string message) =>
        Path.Combine(Tree, "storage", "message", session, message + ".json");

    public static OpenCodeSource Source() =>
        new(new AgentEnvironment(Path.GetTempPath(), new Dictionary<string, string>()), new ProjectKeyResolver());

    public static FileReadResult ReadMessage(string session, string message, ReadStart? start = null)
    {
        var path = MessageFile(session, message);
        return Source().Read(LogFile.From(new FileInfo(path)), start ?? ReadStart.Beginning);
    }

    /// <summary>Every message file of the tree read, merged.</summary>
    public static (List<Tally.Model.LlmCall> Calls, List<Tally.Model.ToolResult> Tools, List<SkippedLine> Skipped) ReadTree()
    {
        var source = Source();
        var calls = new List<Tally.Model.LlmCall>();
        var tools = new List<Tally.Model.ToolResult>();
        var skipped = new List<SkippedLine>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Tree, "storage", "message"), "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var result = source.Read(LogFile.From(new FileInfo(file)), ReadStart.Beginning);
            calls.AddRange(result.Calls);
            tools.AddRange(result.ToolResults);
            skipped.AddRange(result.Skipped);
        }

        return (calls, tools, skipped);
    }

    /// <summary>Opens a writable connection (no pooling, so the file can be deleted afterwards).</summary>
    public static SqliteConnection Open(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    /// <summary>
    /// Creates <paramref name="path"/> with OpenCode's tables and the tree's sessions, messages and
    /// parts, as OpenCode's migration writes them: the JSON without <c>id</c>/<c>sessionID</c>/
    /// <c>messageID</c>, which live in columns. Messages get <c>time_updated</c> = created + 10 minutes
    /// per row, far enough apart that the incremental read's overlap takes in only the last one.
    /// Returns the rowid of the malformed message.
    /// </summary>
    public static long CreateDatabase(string path)
    {
        using var connection = Open(path);
        Execute(connection, """
            CREATE TABLE session (id TEXT PRIMARY KEY, project_id TEXT NOT NULL, parent_id TEXT, slug TEXT, directory TEXT NOT NULL,
                                  title TEXT NOT NULL, version TEXT NOT NULL, time_created INTEGER NOT NULL, time_updated INTEGER NOT NULL);
            CREATE TABLE message (id TEXT PRIMARY KEY, session_id TEXT NOT NULL, time_created INTEGER NOT NULL, time_updated INTEGER NOT NULL, data TEXT NOT NULL);
            CREATE TABLE part (id TEXT PRIMARY KEY, message_id TEXT NOT NULL, session_id TEXT NOT NULL, time_created INTEGER NOT NULL,
                               time_updated INTEGER NOT NULL, data TEXT NOT NULL);
            """);

        foreach (var file in Directory.EnumerateFiles(Path.Combine(Tree, "storage", "session"), "*.json", SearchOption.AllDirectories))
        {
            var session = JsonNode.Parse(File.ReadAllText(file))!.AsObject();
            Execute(connection,
                "INSERT INTO session VALUES ($id, $project, $parent, 'slug', $directory, $title, '1.0.0', $created, $updated)",
                ("$id", (string)session["id"]!), ("$project", (string)session["projectID"]!), ("$parent", (string?)session["parentID"]),
                ("$directory", (string)session["directory"]!), ("$title", (string)session["title"]!),
                ("$created", (long)session["time"]!["created"]!), ("$updated", (long)session["time"]!["updated"]!));
        }

        long badRow = 0;
        var index = 0;
        var created = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Tree, "storage", "message"), "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var id = Path.GetFileNameWithoutExtension(file);
            var sessionId = Path.GetFileName(Path.GetDirectoryName(file))!;
            var text = File.ReadAllText(file);
            long time = 1776988800000 + index;
            string data;
            try
            {
                var message = JsonNode.Parse(text)!.AsObject();
                time = (long)message["time"]!["created"]!;
                message.Remove("id");
                message.Remove("sessionID");
                data = message.ToJsonString();
            }
            catch (System.Text.Json.JsonException)
            {
                data = text; // the malformed file goes in as it is
            }

            created[id] = time;
            Execute(connection, "INSERT INTO message VALUES ($id, $session, $created, $updated, $data)",
                ("$id", id), ("$session", sessionId), ("$created", time), ("$updated", UpdatedAt(index)), ("$data", data));
            if (id == "msg_bad")
            {
                badRow = Scalar(connection, "SELECT rowid FROM message WHERE id = 'msg_bad'");
            }

            index++;
        }

        foreach (var file in Directory.EnumerateFiles(Path.Combine(Tree, "storage", "part"), "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var part = JsonNode.Parse(File.ReadAllText(file))!.AsObject();
            var id = (string)part["id"]!;
            var messageId = (string)part["messageID"]!;
            var sessionId = (string)part["sessionID"]!;
            part.Remove("id");
            part.Remove("messageID");
            part.Remove("sessionID");
            // A part is created with its message; the storage reader falls back to the message's time too.
            Execute(connection, "INSERT INTO part VALUES ($id, $message, $session, $created, $updated, $data)",
                ("$id", id), ("$message", messageId), ("$session", sessionId), ("$created", created[messageId]),
                ("$updated", created[messageId] + 1), ("$data", part.ToJsonString()));
        }

        return badRow;
    }

    /// <summary>The <c>time_updated</c> of the message inserted <paramref name="index"/>-th.</summary>
    public static long UpdatedAt(int index) => 1776990000000 + (index * 600_000L);

    public static void Execute(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        command.ExecuteNonQuery();
    }

    public static long Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public static FileReadResult ReadDatabase(string path, ReadStart? start = null) =>
        Source().Read(LogFile.From(new FileInfo(path)), start ?? ReadStart.Beginning);
}
