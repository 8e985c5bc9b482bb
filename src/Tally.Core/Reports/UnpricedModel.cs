namespace Tally.Reports;

/// <summary>A model with no known price, and how many calls of it a report left out of its costs.</summary>
/// <param name="Model">The model as reported.</param>
/// <param name="Calls">Its calls in the report.</param>
public sealed record UnpricedModel(string Model, long Calls);
