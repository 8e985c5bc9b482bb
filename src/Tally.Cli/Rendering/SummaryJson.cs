using System.Text.Json;
using Tally.Model;
using Tally.Reports;

namespace Tally.Cli.Rendering;

/// <summary><c>tally summary --json</c>: the shape of DESIGN §5.</summary>
internal static class SummaryJson
{
    public static void Write(Utf8JsonWriter writer, SummaryReport report, Action<Utf8JsonWriter>? extra = null)
    {
        writer.WriteStartObject();
        writer.WriteString("groupBy", report.GroupBy.Name());
        writer.WriteString("timezone", report.TimeZone);
        writer.WriteStartArray("rows");
        foreach (var row in report.Rows)
        {
            writer.WriteStartObject();
            writer.WriteString("key", row.Key);
            writer.UsageFields(row);
            if (report.CacheChecks?.GetValueOrDefault(row.Key ?? "") is { } check)
            {
                writer.Ratio("cacheHitRatioTrailingMedian", check.TrailingMedian);
                writer.WriteBoolean("cacheRegression", check.Regression);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteStartObject("totals");
        writer.UsageFields(report.Totals);
        writer.WriteEndObject();
        writer.WriteStartArray("unpricedModels");
        foreach (var model in report.UnpricedModels)
        {
            writer.WriteStringValue(model.Model);
        }

        writer.WriteEndArray();
        writer.WriteStartObject("stopReasons");
        foreach (var reason in StopReasons.All)
        {
            writer.WriteNumber(reason.JsonName(), report.StopReasons.GetValueOrDefault(reason));
        }

        writer.WriteEndObject();
        writer.Number("turns", report.Turns);
        writer.WriteNumber("callsWithOutcome", report.CallsWithOutcome);
        extra?.Invoke(writer);
        writer.WriteEndObject();
    }
}
