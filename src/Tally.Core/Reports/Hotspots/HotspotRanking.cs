namespace Tally.Reports.Hotspots;

/// <summary>What orders the rows of a hotspots table.</summary>
public enum HotspotRanking
{
    /// <summary>Attributed cost, highest first (then tokens).</summary>
    Cost,
    /// <summary>Total output bytes, largest first; rows whose bytes were never measured last.</summary>
    Bytes,
}
