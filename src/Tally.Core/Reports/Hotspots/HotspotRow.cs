using Tally.Model;

namespace Tally.Reports.Hotspots;

/// <summary>What the tool results of one row (a tool, a file, a command, ...) cost and produced.</summary>
/// <param name="Key">The tool, file, command, verb, subagent type or MCP server.</param>
/// <param name="Calls">How many tool calls (results) the row holds.</param>
/// <param name="Tokens">Tokens attributed to them (see <see cref="ToolCostAttribution"/>).</param>
/// <param name="Cost">Cost attributed to them; null when none of it fell on a priced call.</param>
/// <param name="OutputBytes">UTF-8 bytes of their outputs, summed over those measured; null when none was.</param>
/// <param name="MaxOutputBytes">The largest single output; null when none was measured.</param>
/// <param name="TruncatedCount">How many outputs the agent truncated.</param>
/// <param name="Approximate">Whether part of the attribution was estimated (a reader guessed, or an even split).</param>
/// <param name="HasUnpricedTokens">Whether some attributed tokens fell on calls with no price (not in <paramref name="Cost"/>).</param>
public sealed record HotspotRow(
    string Key,
    long Calls,
    TokenUsage Tokens,
    decimal? Cost,
    long? OutputBytes,
    long? MaxOutputBytes,
    long TruncatedCount,
    bool Approximate,
    bool HasUnpricedTokens);
