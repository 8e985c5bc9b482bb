namespace Tally.Extensions.AI.Metrics;

/// <summary>The OpenTelemetry GenAI semantic-convention names (v1.41) that Tally's metrics use, each named once.</summary>
internal static class GenAiAttributes
{
    public const string OperationName = "gen_ai.operation.name";
    public const string ProviderName = "gen_ai.provider.name";
    public const string RequestModel = "gen_ai.request.model";
    public const string ResponseModel = "gen_ai.response.model";
    public const string TokenType = "gen_ai.token.type";
    public const string ErrorType = "error.type";

    /// <summary>The operation every recorded call is.</summary>
    public const string Chat = "chat";

    public const string InputTokenType = "input";
    public const string OutputTokenType = "output";

    public const string TokenUsageMetric = "gen_ai.client.token.usage";
    public const string OperationDurationMetric = "gen_ai.client.operation.duration";
}
