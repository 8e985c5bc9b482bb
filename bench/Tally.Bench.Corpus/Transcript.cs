namespace Tally.Bench.Corpus;

/// <summary>One JSONL file being written, and the conversation state that lives in it.</summary>
internal sealed class Transcript : IDisposable
{
    private readonly FileStream _stream;

    public Transcript(string path, string sessionId, string? agentId, long targetBytes)
    {
        Path = path;
        SessionId = sessionId;
        AgentId = agentId;
        TargetBytes = targetBytes;
        _stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 18);
    }

    public string Path { get; }
    public string SessionId { get; }
    /// <summary>Set for a subagent transcript; its rows are sidechain rows.</summary>
    public string? AgentId { get; }
    public bool Sidechain => AgentId is not null;
    public long TargetBytes { get; }
    public long Bytes { get; private set; }
    public long Remaining => TargetBytes - Bytes;
    public string? LastUuid { get; set; }

    /// <summary>Tokens already in the prompt cache (the prefix the next call reads).</summary>
    public long ContextTokens { get; set; }
    /// <summary>Tokens appended since the last call (written to the cache by the next call).</summary>
    public long PendingTokens { get; set; }
    /// <summary>The next call finds no warm cache (first call, after a compaction or a resume).</summary>
    public bool Cold { get; set; } = true;

    public void Write(ReadOnlySpan<byte> bytes)
    {
        _stream.Write(bytes);
        Bytes += bytes.Length;
    }

    public void Dispose() => _stream.Dispose();
}
