namespace Tally.Cli.Commands;

/// <summary>What the reports that build every record they select (hotspots, blocks) share.</summary>
internal static class RecordReports
{
    // About what either report allocates over a 1 GiB ledger (hotspots: 155 MiB on the mixed
    // benchmark corpus), with room to spare.
    private const long CollectionFreeBytes = 256L << 20;

    /// <summary>
    /// Lets the report allocate its first <see cref="CollectionFreeBytes"/> without a collection.
    /// The CLI's background GC keeps the young generation small, which suits an ingest (it reuses
    /// memory already touched) but not a report that keeps nearly everything it allocates: each of
    /// its many collections would copy survivors for nothing, about a sixth of the report's CPU.
    /// Past the budget, or where the runtime refuses, collections simply go on as usual.
    /// </summary>
    public static void AllocateWithoutCollections()
    {
        try
        {
            GC.TryStartNoGCRegion(CollectionFreeBytes);
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or InvalidOperationException)
        {
            // A budget the runtime cannot reserve, or a region already open: the report runs as usual.
        }
    }
}
