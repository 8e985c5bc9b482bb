namespace Tally.Pricing;

/// <summary>
/// The user's price overrides file exists but cannot be used. The message is one sentence that
/// names the file and the problem, fit to show as is.
/// </summary>
public sealed class PriceOverridesException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The overrides file.</param>
    /// <param name="problem">What is wrong, as a clause without a final period.</param>
    /// <param name="inner">The underlying parse or I/O error, if any.</param>
    public PriceOverridesException(string path, string problem, Exception? inner = null)
        : base($"Price overrides file '{path}' {problem}.", inner)
    {
        Path = path;
    }

    /// <summary>The overrides file.</summary>
    public string Path { get; }
}
