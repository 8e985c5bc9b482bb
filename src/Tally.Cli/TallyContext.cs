using Tally.Ingest;
using Tally.Ledger;
using Tally.Ledger.Postgres;
using Tally.Model;
using Tally.Pricing;
using Tally.Projects;
using Tally.Sources.ClaudeCode;
using Tally.Sources.Codex;
using Tally.Sources.Gemini;
using Tally.Sources.OpenCode;

namespace Tally.Cli;

/// <summary>
/// The parts a command works with, wired once: the environment, the ledger (from <c>--ledger</c>,
/// else <c>TALLY_LEDGER</c>, else <c>$TALLY_HOME/config.json</c>, else <c>$TALLY_HOME/ledger.db</c>;
/// see <see cref="LedgerLocation"/>), who is writing (<see cref="RecordOrigin"/>), the price catalog
/// with the user's overrides, and the log sources.
/// </summary>
internal sealed class TallyContext : IAsyncDisposable
{
    private readonly Lazy<Task<PriceCatalog>> _prices;

    private TallyContext(AgentEnvironment environment, ILedger ledger, Lazy<Task<PriceCatalog>> prices)
    {
        Environment = environment;
        Ledger = ledger;
        _prices = prices;
    }

    public AgentEnvironment Environment { get; }

    public ILedger Ledger { get; }

    /// <summary>The user and machine stamped on what this process ingests (<c>TALLY_USER</c>/<c>TALLY_HOST</c>, else the OS's).</summary>
    public RecordOrigin Origin => RecordOrigin.FromEnvironment(Environment);

    /// <summary>An ingester into <see cref="Ledger"/> that stamps <see cref="Origin"/> on every call.</summary>
    public Ingester Ingester(IReadOnlyList<IUsageSource> sources) => new(Ledger, sources) { Origin = Origin };

    /// <summary>The catalog with the user's overrides. An ingest never reads it; a report starts reading it while the ledger opens.</summary>
    public Task<PriceCatalog> PricesAsync => _prices.Value;

    /// <summary>Where the user's price overrides live.</summary>
    public static string PriceOverridesPath(AgentEnvironment environment) => Path.Combine(environment.TallyHome, "prices.json");

    /// <summary>Opens the ledger; with <paramref name="prices"/>, reads the price catalog on another core meanwhile.</summary>
    public static async Task<TallyContext> OpenAsync(
        string? ledgerOption, AgentEnvironment environment, CancellationToken cancellationToken, bool prices = false)
    {
        var catalog = new Lazy<Task<PriceCatalog>>(() => Task.Run(() => PriceCatalog.Load(PriceOverridesPath(environment)), CancellationToken.None));
        if (prices)
        {
            _ = catalog.Value;
        }

        var ledger = await OpenLedgerAsync(ledgerOption ?? environment.Get("TALLY_LEDGER"), environment, cancellationToken);
        return new TallyContext(environment, ledger, catalog);
    }

    /// <summary>The agents' log sources, all of them or the one <c>--source</c> names (imported event files are read only by <c>tally import</c>).</summary>
    public IReadOnlyList<IUsageSource> Sources(string? only)
    {
        var resolver = new ProjectKeyResolver();
        IUsageSource[] all =
        [
            new ClaudeCodeSource(Environment, resolver),
            new CodexSource(Environment, resolver),
            new OpenCodeSource(Environment, resolver),
            new GeminiSource(Environment, resolver),
        ];
        return only is null ? all : all.Where(s => s.Name == only).ToArray();
    }

    private static async Task<ILedger> OpenLedgerAsync(string? connection, AgentEnvironment environment, CancellationToken cancellationToken)
    {
        LedgerLocation location;
        try
        {
            location = LedgerLocation.Resolve(connection, environment);
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }

        var origin = RecordOrigin.FromEnvironment(environment);
        return await location.OpenAsync(new PostgresLedgerOptions { User = origin.User, Host = origin.Host ?? System.Environment.MachineName }, cancellationToken);
    }

    public ValueTask DisposeAsync() => Ledger.DisposeAsync();

    /// <summary>Checks a <c>--source</c> value.</summary>
    public static string? ValidateSource(string? source)
    {
        if (source is not null && !SourceNames.All.Contains(source))
        {
            throw new UsageException($"Unknown source '{source}'; use one of: {string.Join(", ", SourceNames.All)}.");
        }

        return source;
    }
}
