using Npgsql;

namespace Tally.Ledger.Postgres;

/// <summary>
/// The team ledger's schema as an ordered list of forward migrations, recorded one row per applied
/// version in <c>tally_schema_migrations</c>. A new version appends a step and never edits an old
/// one, because ledgers in use were built by the old steps.
/// </summary>
/// <remarks>
/// <para>
/// Many machines may start at the same moment against a new database. Each one takes the
/// transaction-scoped advisory lock <see cref="MigrationLock"/>, reads the version again under
/// it, applies only the steps still missing and records them in the same transaction, so
/// whichever comes second finds nothing to do; the steps also use <c>IF NOT EXISTS</c>.
/// </para>
/// <para>
/// Token counts are <c>bigint</c>, money is <c>numeric</c> rounded to nine places (the SQLite
/// ledger's nano-dollars, so both give the same sums), times are <c>timestamptz</c> kept to the
/// millisecond, and every text that is compared or grouped uses the <c>"C"</c> collation: byte
/// order, the same as SQLite's, whatever the database's default collation is.
/// </para>
/// </remarks>
internal static class PostgresSchema
{
    /// <summary>The key of the advisory lock that serialises migrations (an arbitrary constant: "tally" in ASCII).</summary>
    public const long MigrationLock = 0x74616c6c79;

    /// <summary>Migration <c>i</c> takes the schema from version <c>i</c> to <c>i + 1</c>.</summary>
    public static IReadOnlyList<string> Migrations { get; } =
    [
        // 1: calls, tool results and per-host file cursors.
        """
        CREATE TABLE IF NOT EXISTS calls (
            source              text COLLATE "C" NOT NULL,
            call_key            text COLLATE "C" NOT NULL,
            key_kind            smallint         NOT NULL,
            session_id          text COLLATE "C" NOT NULL,
            ts                  timestamptz      NOT NULL,
            model               text COLLATE "C" NOT NULL,
            provider            text COLLATE "C",
            input               bigint,
            cache_read          bigint,
            cache_write_5m      bigint,
            cache_write_1h      bigint,
            output              bigint,
            reasoning           bigint,
            context_tokens      bigint NOT NULL GENERATED ALWAYS AS (
                coalesce(input, 0) + coalesce(cache_read, 0) + coalesce(cache_write_5m, 0) + coalesce(cache_write_1h, 0)) STORED,
            stop_reason         smallint         NOT NULL,
            stop_reason_raw     text,
            project             text COLLATE "C",
            project_key         text COLLATE "C",
            request_id          text,
            agent               text,
            parent_session_id   text COLLATE "C",
            is_sidechain        boolean          NOT NULL,
            duration_ms         bigint,
            reported_cost       numeric(24, 9),
            error_type          text,
            tags                text,
            run_turns           integer,
            user_name           text COLLATE "C",
            host_name           text COLLATE "C",
            completeness        bigint           NOT NULL,
            PRIMARY KEY (source, call_key)
        );

        -- Time windows (every report's --since/--until), one session, one project's calls over time.
        CREATE INDEX IF NOT EXISTS calls_by_time ON calls (ts);
        CREATE INDEX IF NOT EXISTS calls_by_session ON calls (session_id);
        CREATE INDEX IF NOT EXISTS calls_by_project ON calls ((coalesce(project_key, project)), ts);

        CREATE TABLE IF NOT EXISTS tool_results (
            source            text COLLATE "C" NOT NULL,
            tool_use_id       text COLLATE "C" NOT NULL,
            session_id        text COLLATE "C" NOT NULL,
            call_key          text COLLATE "C",
            name              text,
            target            text,
            ts                timestamptz,
            output_bytes      bigint,
            truncated         boolean,
            is_error          boolean,
            consumer_call_key text COLLATE "C",
            host_name         text COLLATE "C",
            PRIMARY KEY (source, tool_use_id)
        );

        -- Cursors are positions in one machine's files: each host keeps its own.
        CREATE TABLE IF NOT EXISTS file_cursors (
            host          text COLLATE "C" NOT NULL,
            source        text COLLATE "C" NOT NULL,
            path          text COLLATE "C" NOT NULL,
            fingerprint   text             NOT NULL,
            byte_offset   bigint           NOT NULL,
            line          bigint           NOT NULL,
            size          bigint           NOT NULL,
            modified      timestamptz      NOT NULL,
            lines_skipped bigint           NOT NULL,
            state         text,
            PRIMARY KEY (host, source, path)
        );
        """,
    ];

    /// <summary>The version this build creates and understands.</summary>
    public static int LatestVersion => Migrations.Count;

    /// <summary>Brings the database up to <see cref="LatestVersion"/>; returns the version in force.</summary>
    /// <exception cref="NotSupportedException">The database was migrated by a newer Tally.</exception>
    public static async Task<int> MigrateAsync(NpgsqlConnection connection, string location, CancellationToken cancellationToken)
    {
        // The common open (nothing to do) neither takes the lock nor writes.
        var version = await ReadVersionAsync(connection, null, cancellationToken).ConfigureAwait(false);
        if (version >= LatestVersion)
        {
            return EnsureKnown(version, location);
        }

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key)", connection, transaction))
        {
            lockCommand.Parameters.AddWithValue("key", MigrationLock);
            await lockCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var create = new NpgsqlCommand(
            """
            CREATE TABLE IF NOT EXISTS tally_schema_migrations (
                version    integer     PRIMARY KEY,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """, connection, transaction))
        {
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        version = await ReadVersionAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        if (version >= LatestVersion)
        {
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return EnsureKnown(version, location);
        }

        for (; version < LatestVersion; version++)
        {
            await using var step = new NpgsqlCommand(Migrations[version], connection, transaction);
            await step.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await using var record = new NpgsqlCommand("INSERT INTO tally_schema_migrations (version) VALUES (@version)", connection, transaction);
            record.Parameters.AddWithValue("version", version + 1);
            await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return LatestVersion;
    }

    /// <summary>The highest version applied, 0 for a database Tally has never migrated.</summary>
    public static async Task<int> ReadVersionAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        // Two statements: a query naming a table that does not exist fails even in a branch never taken.
        await using (var exists = new NpgsqlCommand("SELECT to_regclass('tally_schema_migrations') IS NOT NULL", connection, transaction))
        {
            if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
            {
                return 0;
            }
        }

        await using var command = new NpgsqlCommand("SELECT coalesce(max(version), 0) FROM tally_schema_migrations", connection, transaction);
        return (int)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private static int EnsureKnown(int version, string location) => version <= LatestVersion
        ? version
        : throw new NotSupportedException(
            $"The ledger at {location} has schema version {version}, newer than this Tally understands ({LatestVersion}); upgrade Tally to use it.");
}
