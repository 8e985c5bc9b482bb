using System.Buffers;
using Tally.Model;
using Tally.Sources.Events;

namespace Tally.Extensions.AI.Recording;

/// <summary>Appends batches to a JSON Lines file of <c>tally.llm_call/1</c> events (<see cref="UsageEventWriter"/>).</summary>
internal sealed class EventFileSink(string path) : ICallSink
{
    private readonly ArrayBufferWriter<byte> _buffer = new(16 * 1024);

    public string Location { get; } = Path.GetFullPath(path);

    public async ValueTask WriteAsync(IReadOnlyList<LlmCall> calls, CancellationToken cancellationToken)
    {
        _buffer.ResetWrittenCount();
        foreach (var call in calls)
        {
            UsageEventWriter.WriteLine(_buffer, call);
        }

        if (Path.GetDirectoryName(Location) is { Length: > 0 } directory)
        {
            Directory.CreateDirectory(directory);
        }

        // One append per batch; a batch written again after a failure repeats ids, which an import counts once.
        var stream = new FileStream(Location, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        await using (stream.ConfigureAwait(false))
        {
            await stream.WriteAsync(_buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
