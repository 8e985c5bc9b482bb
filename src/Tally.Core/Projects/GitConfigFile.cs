using System.Text;

namespace Tally.Projects;

/// <summary>
/// Just enough of git's config syntax to read <c>remote.origin.url</c>: section headers in both
/// forms (<c>[remote "origin"]</c>, legacy <c>[remote.origin]</c>), case-insensitive section and key
/// names, quoted values with escapes, and <c>#</c>/<c>;</c> comments. Includes are not followed.
/// </summary>
internal static class GitConfigFile
{
    /// <summary>The first <c>url</c> of <c>[remote "origin"]</c> (the one git fetches from), or null.</summary>
    public static string? ReadOriginUrl(string configPath)
    {
        try
        {
            return File.Exists(configPath) ? FindOriginUrl(File.ReadAllText(configPath)) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public static string? FindOriginUrl(string text)
    {
        var inOrigin = false;
        foreach (var rawLine in text.Split('\n'))
        {
            var line = rawLine.Trim();
            if (line.StartsWith('['))
            {
                var close = FindHeaderEnd(line);
                if (close < 0)
                {
                    inOrigin = false;
                    continue;
                }

                inOrigin = IsOriginHeader(line[1..close]);
                line = line[(close + 1)..].Trim(); // git allows "[section] key = value" on one line
            }

            if (!inOrigin || line.Length == 0 || line[0] is '#' or ';')
            {
                continue;
            }

            var equals = line.IndexOf('=');
            if (equals < 0)
            {
                continue;
            }

            if (line[..equals].Trim().Equals("url", StringComparison.OrdinalIgnoreCase))
            {
                var value = ParseValue(line[(equals + 1)..]);
                return value.Length == 0 ? null : value;
            }
        }

        return null;
    }

    private static int FindHeaderEnd(string line)
    {
        var quoted = false;
        for (var i = 1; i < line.Length; i++)
        {
            switch (line[i])
            {
                case '\\' when quoted:
                    i++;
                    break;
                case '"':
                    quoted = !quoted;
                    break;
                case ']' when !quoted:
                    return i;
            }
        }

        return -1;
    }

    private static bool IsOriginHeader(string header)
    {
        header = header.Trim();
        var space = header.IndexOfAny([' ', '\t']);
        if (space > 0)
        {
            // [remote "origin"]: the section name ignores case, the subsection does not.
            var subsection = header[(space + 1)..].Trim();
            return header[..space].Equals("remote", StringComparison.OrdinalIgnoreCase)
                && subsection.Length >= 2 && subsection[0] == '"' && subsection[^1] == '"'
                && subsection[1..^1].Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal) == "origin";
        }

        // Legacy [remote.origin]: git lower-cases the whole name.
        return header.Equals("remote.origin", StringComparison.OrdinalIgnoreCase);
    }

    // A value runs to an unquoted comment character; quotes are removed and \" \\ \t \n \b unescaped.
    private static string ParseValue(string raw)
    {
        var value = new StringBuilder(raw.Length);
        var quoted = false;
        for (var i = 0; i < raw.Length; i++)
        {
            var c = raw[i];
            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == '\\' && i + 1 < raw.Length)
            {
                i++;
                value.Append(raw[i] switch { 't' => '\t', 'n' => '\n', 'b' => '\b', var other => other });
            }
            else if (!quoted && c is '#' or ';')
            {
                break;
            }
            else
            {
                value.Append(c);
            }
        }

        return value.ToString().Trim();
    }
}
