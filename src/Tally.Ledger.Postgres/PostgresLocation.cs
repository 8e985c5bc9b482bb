using Npgsql;

namespace Tally.Ledger.Postgres;

/// <summary>
/// Where a team ledger is: a <c>postgres://</c> or <c>postgresql://</c> URL, or an Npgsql
/// connection string (<c>Host=db;Database=tally;Username=me</c>), turned into a connection string
/// and into a <see cref="Redacted"/> form that is safe to print.
/// </summary>
/// <remarks>
/// The password (in the URL's user info or the connection string's <c>Password</c>) reaches only
/// Npgsql: <see cref="Redacted"/>, exceptions from this type and everything Tally prints or logs
/// leave it out. Npgsql also reads <c>PGPASSWORD</c> and <c>~/.pgpass</c> when no password is given.
/// </remarks>
public sealed class PostgresLocation
{
    private PostgresLocation(NpgsqlConnectionStringBuilder builder)
    {
        ConnectionString = builder.ConnectionString;
        var user = string.IsNullOrEmpty(builder.Username) ? "" : Uri.EscapeDataString(builder.Username) + "@";
        var host = builder.Host ?? "localhost";
        Redacted = $"postgres://{user}{host}:{builder.Port}/{Uri.EscapeDataString(builder.Database ?? "")}";
    }

    /// <summary>The Npgsql connection string, password included: give it to Npgsql only.</summary>
    public string ConnectionString { get; }

    /// <summary><c>postgres://user@host:port/database</c>, without password or options: safe to print and log.</summary>
    public string Redacted { get; }

    /// <inheritdoc />
    public override string ToString() => Redacted;

    /// <summary>Whether a ledger location names PostgreSQL: a <c>postgres://</c>/<c>postgresql://</c> URL or a connection string with a <c>Host</c>.</summary>
    public static bool IsPostgres(string location)
    {
        ArgumentNullException.ThrowIfNull(location);
        return IsUrl(location) || LooksLikeConnectionString(location);
    }

    /// <summary>Reads a URL or connection string.</summary>
    /// <exception cref="ArgumentException">The text is neither, or names an option Npgsql does not know (the message never contains the password).</exception>
    public static PostgresLocation Parse(string location)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(location);
        return new PostgresLocation(IsUrl(location) ? FromUrl(location) : FromConnectionString(location));
    }

    private static bool IsUrl(string text) =>
        text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase);

    private static bool LooksLikeConnectionString(string text) =>
        text.Contains('=', StringComparison.Ordinal)
        && text.Split(';').Any(part => part.Split('=')[0].Trim() is var key
            && (key.Equals("Host", StringComparison.OrdinalIgnoreCase) || key.Equals("Server", StringComparison.OrdinalIgnoreCase)));

    private static NpgsqlConnectionStringBuilder FromConnectionString(string text)
    {
        try
        {
            return new NpgsqlConnectionStringBuilder(text);
        }
        catch (ArgumentException)
        {
            // Npgsql's message may quote the text, password and all.
            throw new ArgumentException("The PostgreSQL connection string is not valid; check its keywords (Host, Port, Database, Username, Password, ...).", nameof(text));
        }
    }

    /// <summary>
    /// <c>postgres://[user[:password]@]host[:port][/database][?option=value&amp;...]</c>; options
    /// are Npgsql's keywords or libpq's common ones (<c>sslmode</c>, <c>application_name</c>, ...).
    /// </summary>
    private static NpgsqlConnectionStringBuilder FromUrl(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw new ArgumentException("The PostgreSQL URL is not valid; use postgres://user@host:port/database.", nameof(text));
        }

        var builder = new NpgsqlConnectionStringBuilder { Host = uri.Host.Trim('[', ']') };
        if (!uri.IsDefaultPort && uri.Port > 0)
        {
            builder.Port = uri.Port;
        }

        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            builder.Username = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            if (colon >= 0)
            {
                builder.Password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
            }
        }

        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length > 0)
        {
            builder.Database = database;
        }

        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString(equals < 0 ? pair : pair[..equals]);
            var value = equals < 0 ? "" : Uri.UnescapeDataString(pair[(equals + 1)..]);
            try
            {
                builder[LibpqKeywords.GetValueOrDefault(key, key)] = value;
            }
            catch (ArgumentException)
            {
                throw new ArgumentException($"The PostgreSQL URL has an option Npgsql does not know: '{key}'.", nameof(text));
            }
        }

        return builder;
    }

    // libpq's URL options where Npgsql's keyword differs.
    private static readonly Dictionary<string, string> LibpqKeywords = new(StringComparer.OrdinalIgnoreCase)
    {
        ["sslmode"] = "SSL Mode",
        ["application_name"] = "Application Name",
        ["connect_timeout"] = "Timeout",
        ["options"] = "Options",
        ["target_session_attrs"] = "Target Session Attributes",
        ["sslrootcert"] = "Root Certificate",
        ["sslcert"] = "SSL Certificate",
        ["sslkey"] = "SSL Key",
    };
}
