using Tally.Core.Tests.TestDoubles;
using Tally.Ingest;
using Tally.Model;

namespace Tally.Core.Tests.Ingest;

/// <summary>Who wrote each call: stamped by the ingester for shared ledgers, overridable, never over a call's own.</summary>
public sealed class RecordOriginTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tally-origin-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Ingest_with_an_origin_stamps_every_call_and_without_one_leaves_them_unknown()
    {
        File.WriteAllText(Path.Combine(_folder, "a.log"), "k1 10\nk2 20\n");
        var stamped = new TestLedger();
        var plain = new TestLedger();

        await new Ingester(stamped, [new TestSource(_folder)]) { Origin = new RecordOrigin("ann", "laptop") }.RunAsync();
        await new Ingester(plain, [new TestSource(_folder)]).RunAsync();

        Assert.All(stamped.Calls, c => Assert.Equal(("ann", "laptop"), (c.User, c.Host)));
        Assert.Equal(2, stamped.Calls.Count);
        Assert.All(plain.Calls, c => Assert.Equal((null, null), (c.User, c.Host)));
    }

    [Fact]
    public void Stamp_fills_only_what_the_call_does_not_say()
    {
        var origin = new RecordOrigin("ann", "laptop");
        var call = new LlmCall { Source = "s", CallKey = "k", SessionId = "x", Timestamp = DateTimeOffset.UnixEpoch, Model = "m" };

        Assert.Equal(("ann", "laptop"), (origin.Stamp(call).User, origin.Stamp(call).Host));
        Assert.Equal(("bob", "laptop"), (origin.Stamp(call with { User = "bob" }).User, origin.Stamp(call with { User = "bob" }).Host));
        var own = call with { User = "bob", Host = "ci" };
        Assert.Same(own, origin.Stamp(own));
    }

    [Fact]
    public void FromEnvironment_prefers_TALLY_USER_and_TALLY_HOST_over_the_operating_system()
    {
        var set = RecordOrigin.FromEnvironment(new AgentEnvironment("/home/me", new Dictionary<string, string> { ["TALLY_USER"] = "ci-bot", ["TALLY_HOST"] = "runner-3" }));
        var unset = RecordOrigin.FromEnvironment(new AgentEnvironment("/home/me", new Dictionary<string, string>()));

        Assert.Equal(new RecordOrigin("ci-bot", "runner-3"), set);
        Assert.Equal(new RecordOrigin(Environment.UserName, Environment.MachineName), unset);
    }
}
