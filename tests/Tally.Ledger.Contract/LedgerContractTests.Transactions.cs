using System.Data.Common;
using Tally.Model;
using static Tally.Ledger.Contract.ContractRecords;

namespace Tally.Ledger.Contract;

public abstract partial class LedgerContractTests
{
    // ---- transactions written a part at a time ----------------------------------------------

    [LedgerFact]
    public async Task Transaction_Parts_BecomeVisibleTogetherAtCommit_MergedAsOneBatch()
    {
        var observer = await OpenAnotherAsync();
        var first = Batch(Call("msg_1", usage: new TokenUsage(1, 1, 1, null, 2, null), stop: StopReason.Unknown));
        first.Cursors.Add(Cursor("/logs/a.jsonl", 100));
        var second = Batch(Call("msg_1", usage: new TokenUsage(1, 1, 1, null, 900, null)), Call("msg_2"));
        second.ToolResults.Add(Tool("toolu_1", "msg_1"));
        second.Cursors.Add(Cursor("/logs/b.jsonl", 200));

        await using (var transaction = await Ledger.BeginAsync())
        {
            await transaction.WriteAsync(first);
            await transaction.WriteAsync(second);

            var before = await observer.GetStatisticsAsync();
            Assert.Empty(before.CallsBySource);
            Assert.Equal(0, before.FilesTracked);

            await transaction.CommitAsync();
        }

        var after = await observer.GetStatisticsAsync();
        Assert.Equal(2, after.CallsBySource[SourceNames.ClaudeCode]);
        Assert.Equal(1, after.ToolResults);
        Assert.Equal(2, after.FilesTracked);
        var row = Assert.Single(await observer.GroupAsync());
        Assert.Equal(920, row.Tokens.Output); // msg_1's finished observation (900) and msg_2 (20), never summed with the snapshot
    }

    [LedgerFact]
    public async Task Transaction_DisposedWithoutCommit_WritesNoPart_AndTheLedgerWritesOn()
    {
        await using (var transaction = await Ledger.BeginAsync())
        {
            await transaction.WriteAsync(Batch(Call("msg_1")));
            var part = Batch(Call("msg_2"));
            part.Cursors.Add(Cursor("/logs/a.jsonl", 100));
            await transaction.WriteAsync(part);
        }

        var statistics = await Ledger.GetStatisticsAsync();
        Assert.Empty(statistics.CallsBySource);
        Assert.Equal(0, statistics.FilesTracked);

        await Ledger.CommitCallsAsync(Call("msg_3"));
        Assert.Equal(1, (await Ledger.GetStatisticsAsync()).CallsBySource[SourceNames.ClaudeCode]);
    }

    [LedgerFact]
    public async Task Transaction_FailingPart_LosesTheEarlierPartsToo()
    {
        await using (var transaction = await Ledger.BeginAsync())
        {
            var good = Batch(Call("msg_1"));
            good.Cursors.Add(Cursor("/logs/a.jsonl", 100));
            await transaction.WriteAsync(good);

            // A ledger that stores parts as they come fails at the write, one that gathers them at the commit.
            await Assert.ThrowsAnyAsync<DbException>(async () =>
            {
                await transaction.WriteAsync(Batch(Call("msg_2") with { Model = null! }));
                await transaction.CommitAsync();
            });
        }

        var statistics = await Ledger.GetStatisticsAsync();
        Assert.Empty(statistics.CallsBySource);
        Assert.Equal(0, statistics.FilesTracked);
    }

    [LedgerFact]
    public async Task Transaction_Ended_RefusesMoreParts()
    {
        var transaction = await Ledger.BeginAsync();
        await transaction.WriteAsync(Batch(Call("msg_1")));
        await transaction.CommitAsync();

        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => transaction.WriteAsync(Batch(Call("msg_2"))));
        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => transaction.CommitAsync());
        await transaction.DisposeAsync();
        Assert.Equal(1, (await Ledger.GetStatisticsAsync()).CallsBySource[SourceNames.ClaudeCode]);
    }

    [LedgerFact]
    public async Task Transaction_Open_AnotherWriterOfTheStoreWaitsForIt_AndBothAreStored()
    {
        var other = await OpenAnotherAsync();
        var transaction = await Ledger.BeginAsync();
        await transaction.WriteAsync(Batch(Call("msg_1")));

        var otherCommit = Task.Run(() => other.CommitCallsAsync(Call("msg_1"), Call("msg_2")));
        await Task.Delay(200);
        await transaction.WriteAsync(Batch(Call("msg_3")));
        await transaction.CommitAsync();
        await transaction.DisposeAsync();
        await otherCommit;

        Assert.Equal(3, (await Ledger.GetStatisticsAsync()).CallsBySource[SourceNames.ClaudeCode]);
    }
}
