using Tally.Core.Tests.TestDoubles;
using Tally.Ingest;

namespace Tally.Core.Tests.Ingest;

public sealed class IngesterTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tally-ingester-").FullName;
    private readonly TestLedger _ledger = new();
    private readonly TestSource _source;

    public IngesterTests() => _source = new TestSource(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Log(string name) => Path.Combine(_folder, name);

    private Task<IngestResult> Sweep() => new Ingester(_ledger, [_source]) { Parallelism = 2 }.RunAsync();

    [Fact]
    public async Task Rerun_with_nothing_new_opens_no_file_and_adds_nothing()
    {
        File.WriteAllText(Log("a.log"), "k1 10\nk2 20\n");
        var first = await Sweep();
        _source.Reads.Clear();

        var second = await Sweep();

        Assert.Equal(2, first.CallsAdded);
        Assert.Equal(0, second.CallsAdded);
        Assert.Equal(0, second.FilesRead);
        Assert.Empty(_source.Reads);
    }

    [Fact]
    public async Task Appended_lines_are_read_from_the_cursor_and_add_exactly_the_new_calls()
    {
        File.WriteAllText(Log("a.log"), "k1 10\nk2 20\n");
        await Sweep();
        File.AppendAllText(Log("a.log"), "k3 30\n");
        _source.Reads.Clear();

        var result = await Sweep();

        Assert.Equal(1, result.CallsAdded);
        var read = Assert.Single(_source.Reads);
        Assert.Equal(12, read.Start.Offset);
        Assert.Equal(2, read.Start.Line);
        Assert.Equal(60, _ledger.Calls.Sum(c => c.Usage.Input));
    }

    [Fact]
    public async Task A_partial_last_line_is_left_for_the_next_sweep()
    {
        File.WriteAllText(Log("a.log"), "k1 10\nk2 2");
        await Sweep();
        Assert.Equal(6, _ledger.Cursor("test", Log("a.log"))!.Offset);

        File.AppendAllText(Log("a.log"), "0\n");
        await Sweep();

        Assert.Equal(30, _ledger.Calls.Sum(c => c.Usage.Input));
    }

    [Fact]
    public async Task A_file_that_shrank_is_read_again_from_the_start()
    {
        File.WriteAllText(Log("a.log"), "k1 10\nk2 20\nk3 30\n");
        await Sweep();
        File.WriteAllText(Log("a.log"), "k1 10\n");
        _source.Reads.Clear();

        await Sweep();

        Assert.Equal(0, Assert.Single(_source.Reads).Start.Offset);
        Assert.Equal(3, _ledger.Calls.Count);
    }

    [Fact]
    public async Task A_file_replaced_by_other_content_of_the_same_length_or_longer_is_read_again_from_the_start()
    {
        File.WriteAllText(Log("a.log"), "k1 10\n");
        await Sweep();
        File.WriteAllText(Log("a.log"), "k9 90\nk8 80\n");
        _source.Reads.Clear();

        await Sweep();

        Assert.Equal(0, Assert.Single(_source.Reads).Start.Offset);
        Assert.Equal(["k1", "k8", "k9"], _ledger.Calls.Select(c => c.CallKey).Order());
    }

    [Fact]
    public async Task Malformed_lines_are_reported_with_file_and_line_and_counted_on_the_cursor()
    {
        File.WriteAllText(Log("a.log"), "k1 10\nbad\nk2 20\n");

        var result = await Sweep();

        var skipped = Assert.Single(result.Skipped);
        Assert.Equal((Log("a.log"), 2L), (skipped.Path, skipped.Line));
        Assert.Equal(2, result.CallsAdded);
        Assert.Equal(1, _ledger.Cursor("test", Log("a.log"))!.LinesSkipped);

        File.AppendAllText(Log("a.log"), "bad\n");
        var again = await Sweep();
        Assert.Equal(4, Assert.Single(again.Skipped).Line);
        Assert.Equal(2, _ledger.Cursor("test", Log("a.log"))!.LinesSkipped);
    }

    [Fact]
    public async Task A_failed_commit_keeps_the_cursor_so_the_next_sweep_reads_the_file_again()
    {
        File.WriteAllText(Log("a.log"), "k1 10\n");
        _ledger.FailNextCommit = new IOException("disk full");

        await Assert.ThrowsAsync<IOException>(Sweep);
        Assert.Null(_ledger.Cursor("test", Log("a.log")));

        var result = await Sweep();
        Assert.Equal(1, result.CallsAdded);
    }

    [Fact]
    public async Task Many_files_are_committed_in_batches_without_losing_any()
    {
        for (var i = 0; i < 50; i++)
        {
            File.WriteAllText(Log($"f{i:00}.log"), $"a{i} 1\nb{i} 2\n");
        }

        var result = await new Ingester(_ledger, [_source]) { BatchCalls = 7, Parallelism = 2 }.RunAsync();

        Assert.Equal(100, result.CallsAdded);
        Assert.Equal(50, result.FilesRead);
        Assert.True(_ledger.Commits > 1);
        Assert.Equal(150, _ledger.Calls.Sum(c => c.Usage.Input));
    }

    [Fact]
    public async Task No_files_found_says_where_it_looked()
    {
        var result = await Sweep();

        Assert.True(result.FoundNothing);
        Assert.Equal([_folder], Assert.Single(result.Sources).SearchedRoots);
    }
}
