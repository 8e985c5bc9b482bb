using Tally.Ingest;
using Tally.Model;
using Tally.Sources.Events;
using Tally.Sources.Tests.TestSupport;

namespace Tally.Sources.Tests.Events;

public sealed class UsageEventCallTests
{
    [Fact]
    public void TallySchema_FullEvent_MapsEveryField()
    {
        var result = EventFixtures.Read("tally-calls.jsonl");

        Assert.Empty(result.Skipped);
        Assert.Equal(4, result.Calls.Count);
        var call = result.Calls[0];
        Assert.Equal(SourceNames.Events, call.Source);
        Assert.Equal("call_01HZX3K9", call.CallKey);
        Assert.Equal(KeyKind.Recorded, call.KeyKind);
        Assert.Equal(new DateTimeOffset(2026, 5, 14, 10, 0, 0, 250, TimeSpan.Zero), call.Timestamp);
        Assert.Equal(TimeSpan.Zero, call.Timestamp.Offset);
        Assert.Equal("anthropic", call.Provider);
        Assert.Equal("claude-sonnet-4-5", call.Model);
        Assert.Equal("reviewer", call.Agent);
        Assert.Equal("sess-42", call.SessionId);
        Assert.Equal("/nonexistent/tally-fixture/shop", call.Project);
        Assert.Null(call.ProjectKey); // no repository there
        Assert.Equal(StopReason.EndTurn, call.StopReason);
        Assert.Equal("end_turn", call.StopReasonRaw);
        Assert.Equal(1234L, call.DurationMs);
        Assert.Equal(new TokenUsage(12, 90000, 1500, 0, 800, 120), call.Usage);
        Assert.Equal(0.0123m, call.ReportedCost);
        Assert.Equal("0.0123", call.ReportedCost!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void TallySchema_AbsentAndNullBucketsAreUnknown_ZeroIsZero()
    {
        var calls = EventFixtures.Read("tally-calls.jsonl").Calls;

        // {"input":0,"cacheRead":null,"output":5}: 0 stays 0, null and absent stay null.
        Assert.Equal(new TokenUsage(0, null, null, null, 5, null), calls[1].Usage);
        // No tokens object at all: every bucket unknown, not zero.
        Assert.Equal(TokenUsage.None, calls[2].Usage);
        Assert.False(calls[2].Usage.IsReported);
        // Unknown bucket names ("audio") are ignored.
        Assert.Equal(new TokenUsage(7, null, null, null, 3, null), calls[3].Usage);
    }

    [Fact]
    public void TallySchema_OptionalFields_DefaultAsDocumented()
    {
        var calls = EventFixtures.Read("tally-calls.jsonl").Calls;

        var minimal = calls[1];
        Assert.Equal(KeyKind.Derived, minimal.KeyKind);
        Assert.Equal(UsageEventLines.UnknownSession, minimal.SessionId);
        Assert.Equal("openai", minimal.Provider); // inferred from gpt-
        Assert.Equal(StopReason.Unknown, minimal.StopReason);
        Assert.Null(minimal.StopReasonRaw);
        Assert.Null(minimal.DurationMs);
        Assert.Null(minimal.ReportedCost);
        Assert.Null(minimal.Agent);
        Assert.Null(minimal.Project);

        var other = calls[2];
        Assert.Equal("openrouter", other.Provider); // stated, so not inferred from claude-
        Assert.Equal(new DateTimeOffset(2026, 5, 14, 10, 2, 0, TimeSpan.Zero), other.Timestamp);
        Assert.Equal(TimeSpan.Zero, other.Timestamp.Offset);
        Assert.Equal(StopReason.Other, other.StopReason);
        Assert.Equal("weird_reason", other.StopReasonRaw);
        Assert.Equal(0.001m, other.ReportedCost); // 1e-3

        var last = calls[3];
        Assert.Equal(new DateTimeOffset(2026, 5, 14, 10, 3, 0, 500, TimeSpan.Zero), last.Timestamp); // no offset: UTC
        Assert.Equal(UsageEventLines.UnknownSession, last.SessionId); // "" is no session
        Assert.Null(last.Agent);
        Assert.Equal("google", last.Provider);
        Assert.Equal(StopReason.ToolUse, last.StopReason);
        Assert.Equal(0L, last.DurationMs);
        Assert.Equal(0m, last.ReportedCost); // a stated zero cost is kept, not dropped
    }

    [Fact]
    public void DerivedKey_IsStableAcrossVersions()
    {
        // Changing the derivation would make a re-import count old events again: pin it.
        var minimal = EventFixtures.Read("tally-calls.jsonl").Calls[1];

        Assert.Equal(
            UsageEventLines.DerivedKey("unknown", new DateTimeOffset(2026, 5, 14, 10, 1, 0, TimeSpan.Zero), "gpt-4o", new TokenUsage(0, null, null, null, 5, null)),
            minimal.CallKey);
        Assert.Equal("derived:676bef1ba125c3deb844038e89e1fb93", minimal.CallKey);
    }

    [Fact]
    public void DerivedKey_DependsOnInstantNotSpelling_AndOnEveryCount()
    {
        var usage = new TokenUsage(10, 20, null, null, 5, null);
        var utc = new DateTimeOffset(2026, 5, 14, 10, 0, 0, TimeSpan.Zero);
        var key = UsageEventLines.DerivedKey("s", utc, "m", usage);

        Assert.Equal(key, UsageEventLines.DerivedKey("s", utc.ToOffset(TimeSpan.FromHours(2)), "m", usage));
        Assert.NotEqual(key, UsageEventLines.DerivedKey("s", utc.AddTicks(1), "m", usage));
        Assert.NotEqual(key, UsageEventLines.DerivedKey("s2", utc, "m", usage));
        Assert.NotEqual(key, UsageEventLines.DerivedKey("s", utc, "m2", usage));
        Assert.NotEqual(key, UsageEventLines.DerivedKey("s", utc, "m", usage with { Output = 6 }));
        Assert.NotEqual(key, UsageEventLines.DerivedKey("s", utc, "m", usage with { CacheWrite5m = 0 })); // unknown ≠ 0
        // Length prefixes: moving a character between session and model changes the key.
        Assert.NotEqual(UsageEventLines.DerivedKey("ab", utc, "c", usage), UsageEventLines.DerivedKey("a", utc, "bc", usage));
    }

    [Fact]
    public void LlmUsage_InclusiveInput_HasTheCacheSubtracted()
    {
        var calls = EventFixtures.Read("llm-usage.jsonl").Calls;

        var call = calls[0];
        Assert.Equal(new TokenUsage(300, 1000, 200, null, 50, null), call.Usage); // 1500 − 1000 − 200
        Assert.Equal(1550, call.Usage.BilledTokens);
        Assert.Equal(KeyKind.Derived, call.KeyKind);
        Assert.StartsWith("derived:", call.CallKey, StringComparison.Ordinal);
        Assert.Equal("20260514T090000-ab12cd34", call.SessionId);
        Assert.Equal("claude-sonnet-4-5", call.Model);
        Assert.Equal("anthropic", call.Provider);
        Assert.Equal(new DateTimeOffset(2026, 5, 14, 9, 0, 5, TimeSpan.Zero).AddTicks(10), call.Timestamp);
        Assert.Equal(StopReason.Unknown, call.StopReason);
        Assert.Null(call.ReportedCost);
        Assert.Null(call.Agent);
    }

    [Fact]
    public void LlmUsage_InputBelowTheCache_IsTakenAsExclusive()
    {
        var call = EventFixtures.Read("llm-usage.jsonl").Calls[1];

        // 3 − 1000 − 200 would be negative: the producer counted input without the cache.
        Assert.Equal(new TokenUsage(3, 1000, 200, null, 40, null), call.Usage);
    }

    [Fact]
    public void LlmUsage_TotalTokens_TellsExclusiveFromInclusive()
    {
        var calls = EventFixtures.Read("llm-usage.jsonl").Calls;

        // total 850 = 500 + 200 + 100 + 50: input excluded the cache.
        Assert.Equal(new TokenUsage(500, 200, 100, null, 50, null), calls[2].Usage);
        // total 550 = 500 + 50: input included it.
        Assert.Equal(new TokenUsage(200, 200, 100, null, 50, null), calls[3].Usage);
    }

    [Fact]
    public void LlmUsage_WithoutCacheFields_KeepsInputAndLeavesCacheUnknown()
    {
        var calls = EventFixtures.Read("llm-usage.jsonl").Calls;

        Assert.Equal(new TokenUsage(120, null, null, null, 30, null), calls[4].Usage);
        Assert.Equal("openai", calls[4].Provider);
        Assert.Equal(new TokenUsage(80, 0, 0, null, 10, null), calls[5].Usage); // reported zeros stay zeros
        Assert.Equal(UsageEventLines.UnknownSession, calls[5].SessionId);
        Assert.Equal("openai", calls[5].Provider); // o3-
    }

    [Fact]
    public void LlmUsage_OtherEventTypesInTheSameLog_AreIgnoredWithoutWarnings()
    {
        var result = EventFixtures.Read("llm-usage.jsonl");

        Assert.Empty(result.Skipped);
        Assert.Equal(6, result.Calls.Count);
        Assert.Equal(6, result.Calls.Select(c => c.CallKey).Distinct().Count());
        Assert.Equal(new ReadStart(new FileInfo(EventFixtures.PathOf("llm-usage.jsonl")).Length, 8, null), result.Next);
    }

    [Theory]
    [InlineData("claude-sonnet-4-5", "anthropic")]
    [InlineData("Claude-3-Opus", "anthropic")]
    [InlineData("gpt-4o", "openai")]
    [InlineData("gpt-5.1-codex", "openai")]
    [InlineData("o1", "openai")]
    [InlineData("o3-mini", "openai")]
    [InlineData("o4-mini-2025-04-16", "openai")]
    [InlineData("gemini-2.5-pro", "google")]
    [InlineData("o1x", null)]
    [InlineData("o2-mini", null)]
    [InlineData("anthropic/claude-sonnet-4-5", null)]
    [InlineData("chatgpt-4o-latest", null)]
    [InlineData("llama-3.1-70b", null)]
    [InlineData("claude", null)]
    public void Provider_IsInferredOnlyFromExplicitPrefixes(string model, string? provider)
    {
        Assert.Equal(provider, UsageEventLines.InferProvider(model));
    }

    [Fact]
    public void SameEvent_InTwoFiles_HasTheSameKeyAndUsage()
    {
        using var dir = new TestDirectory();
        foreach (var name in new[] { "tally-calls.jsonl", "llm-usage.jsonl" })
        {
            var copy = dir.WriteFile("elsewhere/" + name, File.ReadAllText(EventFixtures.PathOf(name)));

            var original = EventFixtures.Read(name).Calls;
            var again = EventFixtures.ReadFile(copy).Calls;

            Assert.Equal(original.Select(c => (c.CallKey, c.KeyKind, c.Usage, c.SessionId, c.Timestamp)), again.Select(c => (c.CallKey, c.KeyKind, c.Usage, c.SessionId, c.Timestamp)));
        }
    }

    [Fact]
    public void SameEvent_SpelledWithAnotherOffset_HasTheSameDerivedKey()
    {
        using var dir = new TestDirectory();
        var a = dir.WriteFile("a.jsonl", """{"type":"llm_usage","timestamp":"2026-05-14T09:00:05Z","session_id":"s","model":"m","input_tokens":10,"output_tokens":2}""" + "\n");
        var b = dir.WriteFile("b.jsonl", """{"model":"m","output_tokens":2,"session_id":"s","type":"llm_usage","input_tokens":10,"timestamp":"2026-05-14T11:00:05.000+02:00"}""" + "\n");

        Assert.Equal(EventFixtures.ReadFile(a).Calls.Single().CallKey, EventFixtures.ReadFile(b).Calls.Single().CallKey);
    }

    [Fact]
    public void SameEvent_TwiceInOneFile_IsOneCall()
    {
        using var dir = new TestDirectory();
        var line = """{"type":"llm_usage","timestamp":"2026-05-14T09:00:05Z","session_id":"s","model":"m","input_tokens":10,"output_tokens":2}""";
        var path = dir.WriteFile("twice.jsonl", line + "\n" + line + "\n");

        var result = EventFixtures.ReadFile(path);

        Assert.Equal(new TokenUsage(10, null, null, null, 2, null), Assert.Single(result.Calls).Usage);
    }

    [Fact]
    public void SameId_TwiceInOneFile_KeepsTheMoreCompleteCopy_NeverSums()
    {
        using var dir = new TestDirectory();
        var path = dir.WriteFile("snapshots.jsonl",
            """{"schema":"tally.llm_call/1","id":"c1","timestamp":"2026-05-14T09:00:05Z","model":"m","tokens":{"input":10,"output":1}}""" + "\n"
            + """{"schema":"tally.llm_call/1","id":"c1","timestamp":"2026-05-14T09:00:06Z","model":"m","finishReason":"end_turn","tokens":{"input":10,"output":40}}""" + "\n"
            + """{"schema":"tally.llm_call/1","id":"c1","timestamp":"2026-05-14T09:00:05Z","model":"m","tokens":{"input":10,"output":2}}""" + "\n");

        var call = Assert.Single(EventFixtures.ReadFile(path).Calls);

        Assert.Equal(new TokenUsage(10, null, null, null, 40, null), call.Usage);
        Assert.Equal(StopReason.EndTurn, call.StopReason);
    }

    [Fact]
    public void Project_IsResolvedToItsRepositoryKey()
    {
        using var dir = new TestDirectory();
        dir.WriteFile("repo/.git/config", "[remote \"origin\"]\n\turl = git@github.com:acme/shop.git\n");
        dir.WriteFile("repo/.git/HEAD", "ref: refs/heads/main\n");
        var project = dir.CreateDirectory("repo/src");
        var path = dir.WriteFile("p.jsonl",
            $$"""{"schema":"tally.llm_call/1","id":"c1","timestamp":"2026-05-14T09:00:05Z","model":"m","project":"{{project.Replace("\\", "\\\\", StringComparison.Ordinal)}}"}""" + "\n");

        var call = Assert.Single(EventFixtures.ReadFile(path).Calls);

        Assert.Equal(project, call.Project);
        Assert.Equal("github.com/acme/shop", call.ProjectKey);
    }
}
