using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Tally.Extensions.AI;

// In the DI namespace, so AddTally needs no extra using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Tally's <see cref="TallyRecorder"/>.</summary>
public static class TallyServiceCollectionExtensions
{
    /// <summary>
    /// Registers one <see cref="TallyRecorder"/> for the app: hand-written agents take it from the
    /// services and call <see cref="TallyRecorder.Record(LlmCallRecord)"/>, and every
    /// <c>UseTally()</c> pipeline built from these services records through it. Disposing the
    /// service provider flushes it.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the options; null for the defaults (the user's embedded ledger).</param>
    public static IServiceCollection AddTally(this IServiceCollection services, Action<TallyOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(provider =>
        {
            var options = new TallyOptions();
            configure?.Invoke(options);
            return new TallyRecorder(options, provider.GetService<ILoggerFactory>());
        });
        return services;
    }
}
