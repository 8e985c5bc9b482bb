using System.Text.Json;
using Tally.Ingest;
using Tally.Ledger.Postgres;
using Tally.Ledger.Sqlite;

namespace Tally.Ledger;

/// <summary>
/// Where a ledger is, and the one place that turns that into an open <see cref="ILedger"/>: a
/// SQLite file path, or a PostgreSQL team ledger (a <c>postgres://</c> / <c>postgresql://</c> URL
/// or an Npgsql connection string). The CLI and the SDK both open ledgers through here.
/// </summary>
/// <remarks>
/// The location is chosen, first match wins: the explicit value (<c>--ledger</c>, or the SDK's
/// option), <c>TALLY_LEDGER</c>, the <c>"ledger"</c> entry of <c>$TALLY_HOME/config.json</c>, else
/// the SQLite file <c>$TALLY_HOME/ledger.db</c>. <see cref="Display"/> never contains a password.
/// </remarks>
public sealed class LedgerLocation
{
    private readonly PostgresLocation? _postgres;

    private LedgerLocation(string? sqlitePath, PostgresLocation? postgres)
    {
        SqlitePath = sqlitePath;
        _postgres = postgres;
    }

    /// <summary>The SQLite file, or null for a PostgreSQL ledger.</summary>
    public string? SqlitePath { get; }

    /// <summary>Whether this is a PostgreSQL team ledger.</summary>
    public bool IsPostgres => _postgres is not null;

    /// <summary>Safe to print and log: the file path, or <c>postgres://user@host:port/db</c> without the password.</summary>
    public string Display => _postgres?.Redacted ?? SqlitePath!;

    /// <inheritdoc />
    public override string ToString() => Display;

    /// <summary>The config file that may name the ledger: <c>$TALLY_HOME/config.json</c>.</summary>
    public static string ConfigPath(AgentEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return Path.Combine(environment.TallyHome, "config.json");
    }

    /// <summary>Chooses the location (see the class remarks).</summary>
    /// <param name="explicitLocation">What the user or the code named, or null.</param>
    /// <param name="environment">Where <c>TALLY_LEDGER</c> and <c>TALLY_HOME</c> come from.</param>
    /// <exception cref="ArgumentException">The location, or the config file, cannot be read (the message never contains a password).</exception>
    public static LedgerLocation Resolve(string? explicitLocation, AgentEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var text = explicitLocation is { Length: > 0 } ? explicitLocation : environment.Get("TALLY_LEDGER") ?? ReadConfig(environment);
        return text is null
            ? new LedgerLocation(Path.Combine(environment.TallyHome, "ledger.db"), null)
            : Parse(text, environment);
    }

    /// <summary>Reads one location: a PostgreSQL URL or connection string, else a file path (<c>~</c> expanded).</summary>
    /// <exception cref="ArgumentException">A PostgreSQL location that cannot be read.</exception>
    public static LedgerLocation Parse(string location, AgentEnvironment environment)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(location);
        ArgumentNullException.ThrowIfNull(environment);
        return PostgresLocation.IsPostgres(location)
            ? new LedgerLocation(null, PostgresLocation.Parse(location))
            : new LedgerLocation(environment.ExpandPath(location), null);
    }

    /// <summary>Opens the ledger, creating or migrating its schema when needed.</summary>
    /// <param name="postgresOptions">User, host and retries for a PostgreSQL ledger; null for the defaults.</param>
    /// <param name="cancellationToken">Stops the open.</param>
    public async Task<ILedger> OpenAsync(PostgresLedgerOptions? postgresOptions = null, CancellationToken cancellationToken = default) =>
        _postgres is { } postgres
            ? await PostgresLedger.OpenAsync(postgres.ConnectionString, postgresOptions, cancellationToken).ConfigureAwait(false)
            : await SqliteLedger.OpenAsync(SqlitePath!, cancellationToken).ConfigureAwait(false);

    /// <summary>The <c>"team"</c> entry of <c>$TALLY_HOME/config.json</c>: the team ledger <c>tally push</c> copies into, or null.</summary>
    /// <exception cref="ArgumentException">The config file is not valid JSON.</exception>
    public static string? ReadTeamLedger(AgentEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return ReadConfig(environment, "team");
    }

    private static string? ReadConfig(AgentEnvironment environment, string key = "ledger")
    {
        var path = ConfigPath(environment);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty(key, out var ledger)
                && ledger.ValueKind == JsonValueKind.String
                && ledger.GetString() is { Length: > 0 } value
                    ? value
                    : null;
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"{path} is not valid JSON (line {e.LineNumber + 1}); it should look like {{ \"ledger\": \"postgres://user@host/db\" }}.", nameof(environment));
        }
    }
}
