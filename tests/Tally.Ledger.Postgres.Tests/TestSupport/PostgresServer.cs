using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Tally.Ledger.Postgres.Tests.TestSupport;

/// <summary>
/// A real PostgreSQL server for one test run: <c>initdb</c> into a temporary directory and
/// <c>pg_ctl</c> on a free loopback port, with the binaries of Debian's <c>postgresql</c> package
/// (found on PATH or under <c>/usr/lib/postgresql/*/bin</c>). Started on first use, stopped when
/// the test process exits. Each test gets a database of its own from <see cref="CreateDatabaseAsync"/>.
/// </summary>
/// <remarks>
/// <c>initdb</c> refuses to run as root, so under root the server runs as the <c>postgres</c> user
/// (which the Debian package creates) via <c>runuser</c>, owning the temporary directory. The
/// cluster trusts local connections, so any password in a test's URL is accepted and unused.
/// Without the binaries, tests report a skip with an install hint, except under CI
/// (<c>CI=true</c>), where the server is required and its absence fails the tests.
/// </remarks>
internal sealed class PostgresServer
{
    public const string InstallHint = "PostgreSQL server binaries (initdb, pg_ctl) not found: install them (Debian/Ubuntu: apt-get install postgresql) to run the team-ledger tests.";

    private const string RootPrefix = "tally-pg-";

    private static readonly Lazy<string?> Binaries = new(FindBinaries);
    private static readonly Lazy<Task<PostgresServer>> Started = new(StartAsync);

    private readonly string _root;
    private readonly string _data;
    private readonly bool _asPostgresUser;

    private PostgresServer(string root, int port, bool asPostgresUser)
    {
        _root = root;
        _data = Path.Combine(root, "data");
        Port = port;
        _asPostgresUser = asPostgresUser;
    }

    /// <summary>Why the tests cannot run here, or null when they can (or must: under CI a missing server is a failure).</summary>
    public static string? SkipReason => Binaries.Value is null && !IsCi ? InstallHint : null;

    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>The running server, started on first use.</summary>
    /// <exception cref="InvalidOperationException">There are no server binaries (only reached under CI, where that is a failure).</exception>
    public static Task<PostgresServer> InstanceAsync() => Started.Value;

    public int Port { get; }

    /// <summary>A URL for a database on this server (the user <c>tally</c>; the password, if any, is ignored by the server).</summary>
    public string Url(string database, string? password = null) =>
        $"postgres://tally{(password is null ? "" : ":" + Uri.EscapeDataString(password))}@127.0.0.1:{Port}/{database}";

    /// <summary>Creates a fresh, empty database and returns its URL.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = "tally_" + Guid.NewGuid().ToString("N");
        await using var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={Port};Username=tally;Database=postgres;Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
        return Url(name);
    }

    /// <summary>Runs SQL on a database of this server on a connection of its own.</summary>
    public async Task<object?> ScalarAsync(string database, string sql)
    {
        await using var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={Port};Username=tally;Database={database};Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    private static async Task<PostgresServer> StartAsync()
    {
        var bin = Binaries.Value ?? throw new InvalidOperationException(InstallHint + " (CI=true: the team-ledger tests must run, so this is a failure.)");
        DeleteStoppedServers();
        var root = Directory.CreateTempSubdirectory(RootPrefix).FullName;
        var asPostgresUser = Environment.UserName == "root";
        var server = new PostgresServer(root, FreePort(), asPostgresUser);
        if (asPostgresUser)
        {
            await RunAsync("chown", ["-R", "postgres", root]);
        }

        await server.RunAsServerUserAsync(Path.Combine(bin, "initdb"), ["-D", server._data, "-U", "tally", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"]);
        var settings = $"-p {server.Port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200";
        await server.RunAsServerUserAsync(Path.Combine(bin, "pg_ctl"), ["start", "-D", server._data, "-w", "-t", "60", "-l", Path.Combine(root, "server.log"), "-o", settings]);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Stop(bin);
        return server;
    }

    /// <summary>
    /// Deletes the folders of earlier runs' servers that are no longer running (no
    /// <c>postmaster.pid</c>) and were made over ten minutes ago, so not one that a test run beside this
    /// one is setting up: a test host that is ended before its exit handler finishes the delete
    /// leaves a cluster of several hundred MiB behind.
    /// </summary>
    private static void DeleteStoppedServers()
    {
        var settingUp = DateTime.UtcNow.AddMinutes(-10);
        foreach (var root in Directory.EnumerateDirectories(Path.GetTempPath(), RootPrefix + "*"))
        {
            if (File.Exists(Path.Combine(root, "data", "postmaster.pid")) || Directory.GetCreationTimeUtc(root) > settingUp)
            {
                continue;
            }

            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Another user's, or going away under us: not ours to mind.
            }
        }
    }

    private void Stop(string bin)
    {
        try
        {
            RunAsServerUserAsync(Path.Combine(bin, "pg_ctl"), ["stop", "-D", _data, "-m", "immediate", "-w"]).GetAwaiter().GetResult();
            Directory.Delete(_root, recursive: true);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException)
        {
            // The temporary directory is left for the OS to clean.
        }
    }

    private Task RunAsServerUserAsync(string program, string[] arguments) =>
        _asPostgresUser ? RunAsync("runuser", ["-u", "postgres", "--", program, .. arguments]) : RunAsync(program, arguments);

    private static async Task RunAsync(string program, string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited {process.ExitCode}: {await error}{await output}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// The folder holding <c>initdb</c> and <c>pg_ctl</c>: <c>TALLY_TEST_POSTGRES_BIN</c> when set
    /// (another install, or a folder without them to see the skip), else on PATH, else the newest
    /// <c>/usr/lib/postgresql/N/bin</c>.
    /// </summary>
    private static string? FindBinaries()
    {
        if (Environment.GetEnvironmentVariable("TALLY_TEST_POSTGRES_BIN") is { Length: > 0 } chosen)
        {
            return File.Exists(Path.Combine(chosen, "initdb")) && File.Exists(Path.Combine(chosen, "pg_ctl")) ? chosen : null;
        }

        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var directory in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            if (File.Exists(Path.Combine(directory, "initdb")) && File.Exists(Path.Combine(directory, "pg_ctl")))
            {
                return directory;
            }
        }

        const string debian = "/usr/lib/postgresql";
        return Directory.Exists(debian)
            ? Directory.GetDirectories(debian)
                .Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var version) ? version : 0)
                .FirstOrDefault()
            : null;
    }
}

/// <summary>A fact that needs <see cref="PostgresServer"/>: skipped with an install hint where it is missing (never under CI).</summary>
internal sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (PostgresServer.SkipReason is { } reason)
        {
            Skip = reason;
        }
    }
}
