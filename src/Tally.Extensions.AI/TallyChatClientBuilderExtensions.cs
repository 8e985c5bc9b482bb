using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tally.Extensions.AI;

// In M.E.AI's namespace, beside UseOpenTelemetry and UseLogging, so UseTally needs no extra using.
namespace Microsoft.Extensions.AI;

/// <summary>Adds Tally's recording middleware (<see cref="TallyChatClient"/>) to a chat pipeline.</summary>
public static class TallyChatClientBuilderExtensions
{
    /// <summary>
    /// Records every call that reaches the inner client into Tally. Call it last, after
    /// <c>UseFunctionInvocation()</c> and <c>UseDistributedCache()</c>, so that it sits closest to
    /// the provider and records what was billed.
    /// </summary>
    /// <remarks>
    /// When the services hold a <see cref="TallyRecorder"/> (<c>services.AddTally()</c>), the pipeline
    /// records through it, with this call's <see cref="TallyOptions.Agent"/>, <see cref="TallyOptions.Tags"/>
    /// and <see cref="TallyOptions.Provider"/>; unless these options name a <see cref="TallyOptions.Ledger"/>
    /// or an <see cref="TallyOptions.EventFile"/> of their own. Otherwise the pipeline gets a recorder
    /// of its own, which disposing the pipeline flushes and closes.
    /// </remarks>
    /// <param name="builder">The pipeline.</param>
    /// <param name="configure">Sets the options; null for the defaults (the user's embedded ledger).</param>
    public static ChatClientBuilder UseTally(this ChatClientBuilder builder, Action<TallyOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use((inner, services) =>
        {
            var options = new TallyOptions();
            configure?.Invoke(options);
            var loggerFactory = services.GetService<ILoggerFactory>();
            var logger = loggerFactory?.CreateLogger<TallyChatClient>();
            if (options.Ledger is null && options.EventFile is null && services.GetService<TallyRecorder>() is { } shared)
            {
                var tags = options.Tags.Count == 0 ? null : new Dictionary<string, string>(options.Tags, StringComparer.Ordinal);
                return new TallyChatClient(inner, shared, ownsRecorder: false, options.Agent, tags, logger, options.Provider);
            }

            return new TallyChatClient(inner, new TallyRecorder(options, loggerFactory), ownsRecorder: true, agent: null, tags: null, logger);
        });
    }
}
