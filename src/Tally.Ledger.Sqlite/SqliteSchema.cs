using Microsoft.Data.Sqlite;

namespace Tally.Ledger.Sqlite;

/// <summary>
/// The ledger's schema as an ordered list of forward migrations; <c>PRAGMA user_version</c> holds
/// how many have been applied. A new version appends a step and never edits an old one, because
/// ledgers in the field were built by the old steps.
/// </summary>
/// <remarks>
/// Two processes may open a new ledger at the same moment. Each one takes the write lock
/// (<c>BEGIN IMMEDIATE</c>), reads the version again under the lock, applies only the steps still
/// missing and bumps the version in the same transaction, so whichever comes second finds nothing
/// to do. The steps also use <c>IF NOT EXISTS</c> where SQLite has it; one that cannot (adding a
/// column) relies on that version check alone.
/// </remarks>
internal static class SqliteSchema
{
    /// <summary>Migration <c>i</c> takes the schema from version <c>i</c> to <c>i + 1</c>.</summary>
    public static IReadOnlyList<string> Migrations { get; } =
    [
        // 1: calls, tool results and file cursors.
        """
        CREATE TABLE IF NOT EXISTS calls (
            source              TEXT    NOT NULL,
            call_key            TEXT    NOT NULL,
            key_kind            INTEGER NOT NULL,
            session_id          TEXT    NOT NULL,
            ts_ms               INTEGER NOT NULL,
            model               TEXT    NOT NULL,
            provider            TEXT,
            input               INTEGER,
            cache_read          INTEGER,
            cache_write_5m      INTEGER,
            cache_write_1h      INTEGER,
            output              INTEGER,
            reasoning           INTEGER,
            context_tokens      INTEGER NOT NULL GENERATED ALWAYS AS (
                coalesce(input, 0) + coalesce(cache_read, 0) + coalesce(cache_write_5m, 0) + coalesce(cache_write_1h, 0)) STORED,
            stop_reason         INTEGER NOT NULL,
            stop_reason_raw     TEXT,
            project             TEXT,
            project_key         TEXT,
            request_id          TEXT,
            agent               TEXT,
            is_sidechain        INTEGER NOT NULL,
            duration_ms         INTEGER,
            reported_cost_nanos INTEGER,
            user_name           TEXT,
            host_name           TEXT,
            completeness        INTEGER NOT NULL,
            PRIMARY KEY (source, call_key)
        ) STRICT;

        -- No index on project: the project filter also matches path suffixes, which no index
        -- can serve, and each index costs every insert; a time window narrows most queries.
        CREATE INDEX IF NOT EXISTS calls_by_time ON calls (ts_ms);
        CREATE INDEX IF NOT EXISTS calls_by_session ON calls (session_id);

        CREATE TABLE IF NOT EXISTS tool_results (
            source            TEXT    NOT NULL,
            tool_use_id       TEXT    NOT NULL,
            session_id        TEXT    NOT NULL,
            call_key          TEXT,
            name              TEXT,
            target            TEXT,
            ts_ms             INTEGER,
            output_bytes      INTEGER,
            truncated         INTEGER,
            is_error          INTEGER,
            consumer_call_key TEXT,
            PRIMARY KEY (source, tool_use_id)
        ) STRICT;

        -- No secondary index on tool results: reports scan them whole, which is cheap, while an
        -- index would cost every insert of the largest table a cold ingest writes.

        CREATE TABLE IF NOT EXISTS file_cursors (
            source        TEXT    NOT NULL,
            path          TEXT    NOT NULL,
            fingerprint   TEXT    NOT NULL,
            byte_offset   INTEGER NOT NULL,
            line          INTEGER NOT NULL,
            size          INTEGER NOT NULL,
            modified_ms   INTEGER NOT NULL,
            lines_skipped INTEGER NOT NULL,
            state         TEXT,
            PRIMARY KEY (source, path)
        ) STRICT;
        """,

        // 2: the parent of a child (subagent) session.
        """
        ALTER TABLE calls ADD COLUMN parent_session_id TEXT;
        """,

        // 3: what the .NET SDK records beside usage: a failed call's error type, the recorder's
        // tags (a JSON object) and, for a run's aggregate records, the run's turn count.
        """
        ALTER TABLE calls ADD COLUMN error_type TEXT;
        ALTER TABLE calls ADD COLUMN tags TEXT;
        ALTER TABLE calls ADD COLUMN run_turns INTEGER;
        """,
    ];

    /// <summary>The version this build creates and understands.</summary>
    public static int LatestVersion => Migrations.Count;

    /// <summary>Brings the ledger up to <see cref="LatestVersion"/>; returns the version in force.</summary>
    /// <exception cref="NotSupportedException">The ledger was written by a newer Tally.</exception>
    public static int Migrate(SqliteConnection connection, string location)
    {
        // Checking outside a transaction first keeps the common open (nothing to do) from
        // taking the write lock that a running ingest in another process may hold.
        var version = ReadVersion(connection, null);
        if (version >= LatestVersion)
        {
            return EnsureKnown(version, location);
        }

        using var transaction = connection.BeginTransaction(deferred: false);
        version = ReadVersion(connection, transaction);
        if (version >= LatestVersion)
        {
            return EnsureKnown(version, location);
        }

        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        for (; version < LatestVersion; version++)
        {
            command.CommandText = Migrations[version];
            command.ExecuteNonQuery();
        }

        // PRAGMA takes no parameters; the value is our own integer.
        command.CommandText = $"PRAGMA user_version = {LatestVersion}";
        command.ExecuteNonQuery();
        transaction.Commit();
        return LatestVersion;
    }

    /// <summary>The schema version recorded in the file.</summary>
    public static int ReadVersion(SqliteConnection connection, SqliteTransaction? transaction)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "PRAGMA user_version";
        return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static int EnsureKnown(int version, string location) => version <= LatestVersion
        ? version
        : throw new NotSupportedException(
            $"The ledger at {location} has schema version {version}, newer than this Tally understands ({LatestVersion}); upgrade Tally to use it.");
}
