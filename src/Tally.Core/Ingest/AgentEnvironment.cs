namespace Tally.Ingest;

/// <summary>
/// The home directory and environment variables that sources read to find agents' logs. Tests
/// pass their own; the CLI uses <see cref="Current"/>.
/// </summary>
/// <param name="Home">The user's home directory.</param>
/// <param name="Variables">Environment variables (only those that are set).</param>
public sealed record AgentEnvironment(string Home, IReadOnlyDictionary<string, string> Variables)
{
    /// <summary>The process's own home and environment.</summary>
    public static AgentEnvironment Current
    {
        get
        {
            var variables = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
            {
                if (entry.Key is string key && entry.Value is string value)
                {
                    variables[key] = value;
                }
            }

            var home = variables.GetValueOrDefault("HOME") is { Length: > 0 } h
                ? h
                : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            return new AgentEnvironment(home, variables);
        }
    }

    /// <summary>A variable's value, or null when it is unset or empty.</summary>
    public string? Get(string name) => Variables.TryGetValue(name, out var value) && value.Length > 0 ? value : null;

    /// <summary>
    /// A comma-separated list of directories in a variable (<c>CLAUDE_CONFIG_DIR</c>,
    /// <c>CODEX_HOME</c>, ...), each expanded, made absolute and without a trailing separator;
    /// empty entries are skipped. Null when the variable is unset or empty.
    /// </summary>
    public IReadOnlyList<string>? PathList(string name) =>
        Get(name)?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(entry => System.IO.Path.TrimEndingDirectorySeparator(ExpandPath(entry)))
            .ToList();

    /// <summary>Expands a leading <c>~</c> to <see cref="Home"/> and makes the path absolute.</summary>
    public string ExpandPath(string path)
    {
        if (path == "~")
        {
            return Home;
        }

        if (path.StartsWith("~/", StringComparison.Ordinal))
        {
            path = System.IO.Path.Combine(Home, path[2..]);
        }

        return System.IO.Path.GetFullPath(path);
    }

    /// <summary>Tally's own directory: <c>TALLY_HOME</c>, else <c>~/.tally</c>.</summary>
    public string TallyHome => Get("TALLY_HOME") is { } home ? ExpandPath(home) : System.IO.Path.Combine(Home, ".tally");
}
