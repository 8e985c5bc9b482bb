namespace Tally.Ingest;

/// <summary>
/// A source limited to some of its files: the ones a caller names (a hook's transcript, files to
/// import) instead of all that discovery would find. Reading is the inner source's own, so the
/// records, cursors and keys are exactly those of a full sweep.
/// </summary>
/// <param name="inner">The source that knows the files' format.</param>
/// <param name="paths">The files to read; those that do not exist are listed as searched and skipped.</param>
public sealed class SelectedFilesSource(IUsageSource inner, IReadOnlyList<string> paths) : IUsageSource
{
    /// <inheritdoc />
    public string Name => inner.Name;

    /// <inheritdoc />
    public SourceDiscovery Discover()
    {
        var files = paths.Select(Path.GetFullPath).Distinct(StringComparer.Ordinal)
            .Select(p => new FileInfo(p)).Where(f => f.Exists).Select(LogFile.From).ToList();
        return new SourceDiscovery(paths, files);
    }

    /// <inheritdoc />
    public FileReadResult Read(LogFile file, ReadStart start) => inner.Read(file, start);
}
