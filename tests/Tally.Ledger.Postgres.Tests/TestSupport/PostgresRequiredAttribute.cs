namespace Tally.Ledger.Postgres.Tests.TestSupport;

/// <summary>Marks a class whose tests need <see cref="PostgresServer"/>: skipped with an install hint where it is missing (never under CI).</summary>
internal sealed class PostgresRequiredAttribute : Tally.Ledger.Contract.BackendRequirementAttribute
{
    public override string? SkipReason => PostgresServer.SkipReason;
}
