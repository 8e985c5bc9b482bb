using Tally.Model;

namespace Tally.Ledger;

/// <summary>
/// One row of an aggregate query: the sums over calls that share a group key, a model, a
/// provider, a price band, a stop reason and whether the source reported their cost.
/// </summary>
/// <param name="Key">The group key (text groupings); null for <see cref="LedgerGrouping.QuarterHour"/>, or when the calls had no value.</param>
/// <param name="Bucket">The quarter-hour index for <see cref="LedgerGrouping.QuarterHour"/>, else 0.</param>
/// <param name="Source">The source of the calls.</param>
/// <param name="Model">The model as reported.</param>
/// <param name="Provider">The provider, when known.</param>
/// <param name="Band">The context band (see <see cref="UsageQuery.ContextThresholds"/>).</param>
/// <param name="StopReason">How the calls ended.</param>
/// <param name="HasReportedCost">Whether these calls carry a cost stated by the source.</param>
/// <param name="Calls">How many calls.</param>
/// <param name="Tokens">Bucket sums (null where no call reported the bucket).</param>
/// <param name="ReportedCost">Sum of the source-stated costs, when <paramref name="HasReportedCost"/>.</param>
public sealed record UsageAggregate(
    string? Key,
    long Bucket,
    string Source,
    string Model,
    string? Provider,
    int Band,
    StopReason StopReason,
    bool HasReportedCost,
    long Calls,
    TokenUsage Tokens,
    decimal? ReportedCost);
