using Tally.Model;

namespace Tally.Sources.Tests.Codex;

public sealed class CodexForkTests
{
    private const string Parent = "0199a000-0000-7000-8000-0000000000aa";
    private const string Child = "0199a000-0000-7000-8000-0000000000bb";

    private static readonly string[] ParentKeys =
    [
        "2025-10-07T10:00:04.100Z|3000|1000|200|50",
        "2025-10-07T10:00:08.000Z|6500|3800|450|90",
    ];

    private const string ChildKey = "2025-10-07T11:30:21.100Z|10500|6300|600|120";

    /// <summary>The ledger's upsert on (source, CallKey): one call per key, never summed.</summary>
    private static Dictionary<string, LlmCall> Ledger(params string[] fixtures)
    {
        var ledger = new Dictionary<string, LlmCall>(StringComparer.Ordinal);
        foreach (var fixture in fixtures)
        {
            foreach (var call in CodexFixtures.Read(fixture).Calls)
            {
                if (ledger.TryGetValue(call.CallKey, out var seen))
                {
                    Assert.Equal(seen.Usage, call.Usage); // a replay must agree with the original
                }

                ledger[call.CallKey] = call;
            }
        }

        return ledger;
    }

    [Fact]
    public void Parent_TwoCalls_ReEmitIgnored()
    {
        var result = CodexFixtures.Read("fork-parent.jsonl");

        Assert.Equal(ParentKeys, result.Calls.Select(c => c.CallKey));
        Assert.Equal(
            [new TokenUsage(2000, 1000, null, null, 200, 50), new TokenUsage(700, 2800, null, null, 250, 40)],
            result.Calls.Select(c => c.Usage));
        Assert.All(result.Calls, c => Assert.Equal(Parent, c.SessionId));
    }

    [Fact]
    public void RestampedFork_ReplayedBurstOnlyAdvancesTheBaseline()
    {
        var result = CodexFixtures.Read("fork-child-restamped.jsonl");

        // The copies (re-stamped at fork time) are not calls of the fork; its own call is measured
        // from the baseline the copies set.
        var call = Assert.Single(result.Calls);
        Assert.Equal(ChildKey, call.CallKey);
        Assert.Equal(Child, call.SessionId);
        Assert.Equal(new TokenUsage(1500, 2500, null, null, 150, 30), call.Usage);

        // The parent's tool call copied in the burst is left to the parent; the fork's own one is linked.
        var tool = Assert.Single(result.ToolResults);
        Assert.Equal("call_c1", tool.ToolUseId);
        Assert.Equal(ChildKey, tool.CallKey);
        Assert.Equal("git status", tool.Target);
    }

    [Fact]
    public void RestampedFork_AndParent_GiveEachCallOnce()
    {
        var ledger = Ledger("fork-parent.jsonl", "fork-child-restamped.jsonl");

        Assert.Equal([.. ParentKeys, ChildKey], ledger.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(3200 + 3750 + 4150, ledger.Values.Sum(c => c.Usage.BilledTokens));
    }

    [Fact]
    public void PreservedFork_CopiesKeepTheParentsKeysUsageAndSession()
    {
        var result = CodexFixtures.Read("fork-child-preserved.jsonl");

        Assert.Equal([.. ParentKeys, ChildKey], result.Calls.Select(c => c.CallKey));
        Assert.Equal([Parent, Parent, Child], result.Calls.Select(c => c.SessionId));
        Assert.Equal(
            CodexFixtures.Read("fork-parent.jsonl").Calls.Select(c => c.Usage),
            result.Calls.Take(2).Select(c => c.Usage));

        var ledger = Ledger("fork-parent.jsonl", "fork-child-preserved.jsonl");
        Assert.Equal(3, ledger.Count);
        Assert.Equal(3200 + 3750 + 4150, ledger.Values.Sum(c => c.Usage.BilledTokens));
    }
}
