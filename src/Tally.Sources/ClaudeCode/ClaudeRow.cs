namespace Tally.Sources.ClaudeCode;

/// <summary>The row kinds the reader acts on; everything else (summary, system, progress, …) is <see cref="Other"/>.</summary>
internal enum ClaudeRowType
{
    Missing = 0,
    Assistant = 1,
    User = 2,
    Other = 3,
}

/// <summary>
/// A string value found in a row, kept as a slice of the line (or, when it had escapes, of the
/// row's scratch buffer where it was decoded) so that fields nobody keeps never become strings.
/// </summary>
internal readonly record struct Utf8Slice(int Start, int Length, bool InScratch)
{
    public static Utf8Slice None => new(-1, 0, false);

    public bool IsPresent => Start >= 0;
}

/// <summary>A <c>tool_use</c> block of an assistant message, with the input fields a target can come from.</summary>
internal struct ClaudeToolUseBlock
{
    public Utf8Slice Id;
    public Utf8Slice Name;
    public Utf8Slice FilePath;
    public Utf8Slice NotebookPath;
    public Utf8Slice Path;
    public Utf8Slice Command;
    public Utf8Slice Pattern;
    public Utf8Slice Url;
    public Utf8Slice Query;
    public Utf8Slice SubagentType;
    public Utf8Slice Description;
}

/// <summary>A <c>tool_result</c> block of a user row, measured while parsing.</summary>
internal struct ClaudeToolResultBlock
{
    public Utf8Slice ToolUseId;
    public long OutputBytes;
    public bool Truncated;
    public bool IsError;
}

/// <summary>
/// The fields of one transcript line that the reader uses. One instance is reused for every line
/// of a read (<see cref="Reset"/>), so parsing a line allocates nothing.
/// </summary>
internal sealed class ClaudeRow
{
    // Decoded escaped strings live here until the next line.
    private byte[] _scratch = new byte[256];
    private int _scratchUsed;

    /// <summary>Room to decode an escaped property name (Claude Code writes none).</summary>
    public readonly byte[] NameBuffer = new byte[64];

    public ClaudeRowType Type;
    public Utf8Slice Uuid;
    public Utf8Slice ParentUuid;
    public Utf8Slice SessionId;
    public Utf8Slice AgentId;
    public Utf8Slice Cwd;
    public Utf8Slice RequestId;
    public bool IsSidechain;
    public DateTimeOffset? Timestamp;
    public decimal? CostUsd;

    public bool HasMessage;
    public Utf8Slice MessageId;
    public Utf8Slice Model;
    public Utf8Slice StopReason;

    public bool HasUsage;
    public long? InputTokens;
    public long? OutputTokens;
    public long? CacheReadTokens;
    public long? CacheCreationTokens;
    public bool HasCacheCreationSplit;
    public long? CacheCreation5m;
    public long? CacheCreation1h;

    public readonly List<ClaudeToolUseBlock> ToolUses = [];
    public readonly List<ClaudeToolResultBlock> ToolResults = [];

    public void Reset()
    {
        _scratchUsed = 0;
        Type = ClaudeRowType.Missing;
        Uuid = ParentUuid = SessionId = AgentId = Cwd = RequestId = Utf8Slice.None;
        IsSidechain = false;
        Timestamp = null;
        CostUsd = null;
        HasMessage = false;
        MessageId = Model = StopReason = Utf8Slice.None;
        HasUsage = false;
        InputTokens = OutputTokens = CacheReadTokens = CacheCreationTokens = null;
        HasCacheCreationSplit = false;
        CacheCreation5m = CacheCreation1h = null;
        ToolUses.Clear();
        ToolResults.Clear();
    }

    /// <summary>Room for <paramref name="length"/> decoded bytes; the slice it will occupy starts at the returned offset.</summary>
    public Span<byte> RentScratch(int length, out int start)
    {
        if (_scratchUsed + length > _scratch.Length)
        {
            Array.Resize(ref _scratch, Math.Max(_scratch.Length * 2, _scratchUsed + length));
        }

        start = _scratchUsed;
        return _scratch.AsSpan(start, length);
    }

    public void CommitScratch(int length) => _scratchUsed += length;

    /// <summary>The bytes of a slice taken from <paramref name="line"/> or the scratch buffer.</summary>
    public ReadOnlySpan<byte> Bytes(ReadOnlySpan<byte> line, Utf8Slice slice) =>
        !slice.IsPresent ? default
        : slice.InScratch ? _scratch.AsSpan(slice.Start, slice.Length)
        : line.Slice(slice.Start, slice.Length);
}
