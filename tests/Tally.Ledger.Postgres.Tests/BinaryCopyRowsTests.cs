using System.Globalization;
using Tally.Ledger.Postgres.Tests.TestSupport;
using Tally.Model;
using static Tally.Ledger.Contract.ContractRecords;

namespace Tally.Ledger.Postgres.Tests;

/// <summary>
/// The batch writer encodes binary COPY itself (<see cref="BinaryCopyRows"/>): every kind of value
/// must reach the server as Npgsql would have sent it, which the server itself checks here.
/// </summary>
public sealed class BinaryCopyRowsTests
{
    private static async Task<PostgresLedger> NewLedgerAsync()
    {
        var server = await PostgresServer.InstanceAsync();
        return await PostgresLedger.OpenAsync(await server.CreateDatabaseAsync(), new PostgresLedgerOptions { Host = "h", User = "u" });
    }

    [PostgresFact]
    public async Task Money_IsStoredRoundedToNinePlaces()
    {
        var amounts = new[]
        {
            "0", "1", "-1", "0.5", "-0.25", "12.5", "10000", "10000.0001", "100000000", "0.1", "0.123456789", "0.000000001",
            "0.0000000005", "-0.0000000005", "0.0000000004999", "0.00012345", "1.9999999995", "99999999.999999999",
            "123456789012345.123456789", "-999999999999999.999999999", "0.0000000000000000000000000001",
            "1.0000000000000000000000000001", "79228162514264.337593543950335", "4.2000", "0.000",
        }.Select(text => decimal.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture)).ToArray();
        await using var ledger = await NewLedgerAsync();

        await ledger.CommitCallsAsync(amounts.Select((amount, i) => Call("m" + i, cost: amount)).ToArray());

        var read = (await ToListAsync(ledger.ReadCallsAsync(CallFilter.All))).ToDictionary(c => c.CallKey, c => c.ReportedCost);
        for (var i = 0; i < amounts.Length; i++)
        {
            Assert.Equal(decimal.Round(amounts[i], 9, MidpointRounding.AwayFromZero), read["m" + i]);
        }
    }

    [PostgresFact]
    public async Task TimesTextsNumbersAndFlags_RoundTrip()
    {
        await using var ledger = await NewLedgerAsync();
        var times = new[]
        {
            new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero),
            new DateTimeOffset(1999, 12, 31, 23, 59, 59, 999, TimeSpan.Zero),
            new DateTimeOffset(1970, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(-1),
            new DateTimeOffset(2025, 6, 1, 14, 30, 15, 123, TimeSpan.FromHours(2)).AddTicks(4567),
            new DateTimeOffset(9999, 12, 31, 23, 59, 59, 999, TimeSpan.Zero),
            DateTimeOffset.MinValue,
        };
        var calls = times.Select((at, i) => new LlmCall
        {
            Source = SourceNames.Sdk, CallKey = "k" + i + "-é日本😀", KeyKind = KeyKind.MessageId, SessionId = "s\u00ff" + i, Timestamp = at,
            Model = "mödel-😀", Provider = i % 2 == 0 ? null : "", Usage = new TokenUsage(long.MaxValue, 0, null, -1, 5, null),
            StopReason = StopReason.MaxTokens, Project = "/home/ü/src", IsSidechain = i % 2 == 0, DurationMs = i == 0 ? null : long.MinValue,
            RunTurns = i == 1 ? null : int.MaxValue - i, Tags = i == 2 ? new Dictionary<string, string> { ["k"] = "v\"\n" } : null,
        }).ToArray();
        var batch = Batch(calls);
        batch.ToolResults.Add(new ToolResult
        {
            Source = SourceNames.Sdk, ToolUseId = "t1", SessionId = "s\u00ff0", CallKey = calls[0].CallKey, Name = "Bash", Target = "echo 😀",
            Timestamp = times[3], OutputBytes = 0, Truncated = false, IsError = true,
        });
        batch.Cursors.Add(Cursor("/logs/ü.jsonl", 1234) with { ModifiedUtc = times[1], State = "{\"é\":1}" });

        await ledger.CommitAsync(batch);

        var read = (await ToListAsync(ledger.ReadCallsAsync(CallFilter.All))).ToDictionary(c => c.CallKey);
        foreach (var call in calls)
        {
            var expected = call with
            {
                Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(call.Timestamp.ToUnixTimeMilliseconds()),
                User = "u", Host = "h", Tags = null,
            };
            Assert.Equal(expected, read[call.CallKey] with { Tags = null });
            Assert.Equal(call.Tags, read[call.CallKey].Tags);
        }

        var tool = Assert.Single(await ToListAsync(ledger.ReadToolResultsAsync(CallFilter.All)));
        Assert.Equal(batch.ToolResults[0] with { Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(times[3].ToUnixTimeMilliseconds()) }, tool);
        var cursor = Assert.Single(await ledger.GetCursorsAsync(SourceNames.ClaudeCode)).Value;
        Assert.Equal(batch.Cursors[0], cursor);
    }
}
