namespace Tally.Pricing;

/// <summary>Where the embedded price catalog came from.</summary>
/// <param name="Package">The npm package it was generated from (<c>@pydantic/genai-prices</c>).</param>
/// <param name="Version">That package's version.</param>
/// <param name="Generated">The day it was generated; for a model whose price changed over time, the price in force that day is the one kept.</param>
public sealed record CatalogProvenance(string Package, string Version, DateOnly Generated);
