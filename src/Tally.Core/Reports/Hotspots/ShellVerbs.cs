namespace Tally.Reports.Hotspots;

/// <summary>
/// The program a shell command line runs, for the <c>verbs</c> table: <c>git</c> for
/// <c>cd api &amp;&amp; sudo -E git status</c>.
/// </summary>
/// <remarks>
/// The verb is the first word of the first simple command that is not a directory change, after
/// leading <c>VAR=value</c> assignments and wrappers that only run another program (<c>sudo</c>,
/// <c>env</c>, <c>time</c>, <c>nohup</c>, <c>nice</c>, <c>timeout</c>, <c>exec</c>,
/// <c>command</c>), taken without its directory (<c>/usr/bin/git</c> is <c>git</c>). The script
/// of <c>bash -c '…'</c> (or <c>sh</c>, <c>zsh</c>, with <c>-lc</c>) is looked into. This is a
/// reading of the common forms, not a shell parser: a command it cannot read gives its first word.
/// </remarks>
public static class ShellVerbs
{
    private static readonly HashSet<string> Wrappers = new(StringComparer.Ordinal)
    {
        "sudo", "env", "time", "nohup", "nice", "ionice", "timeout", "exec", "command", "builtin", "doas",
    };

    // Wrapper options that take the next word as their value.
    private static readonly HashSet<string> WrapperOptionsWithValue = new(StringComparer.Ordinal)
    {
        "-u", "-g", "-n", "-c", "-C", "-s", "-k", "--user", "--group", "--signal", "--kill-after", "-S",
    };

    private static readonly HashSet<string> DirectoryChanges = new(StringComparer.Ordinal) { "cd", "pushd", "popd" };

    private static readonly HashSet<string> Shells = new(StringComparer.Ordinal) { "bash", "sh", "zsh", "dash" };

    /// <summary>The verb of a command line, or null when it has none (blank, or only assignments).</summary>
    public static string? Verb(string? command) => Verb(command, depth: 0);

    private static string? Verb(string? command, int depth)
    {
        if (string.IsNullOrWhiteSpace(command))
        {
            return null;
        }

        string? first = null;
        foreach (var segment in SimpleCommands(command))
        {
            var words = Words(segment);
            var verbAt = SkipPrefixes(words);
            if (verbAt >= words.Count)
            {
                continue;
            }

            var verb = Path.GetFileName(words[verbAt]);
            if (verb.Length == 0)
            {
                continue;
            }

            if (Shells.Contains(verb) && verbAt + 2 < words.Count && words[verbAt + 1] is "-c" or "-lc" or "-ic" && depth < 3)
            {
                return Verb(words[verbAt + 2], depth + 1) ?? verb;
            }

            if (DirectoryChanges.Contains(verb))
            {
                first ??= verb;
                continue;
            }

            return verb;
        }

        return first;
    }

    // Splits at the operators that separate commands (&&, ||, ;, |, &, newlines), outside quotes;
    // grouping parentheses and braces are dropped.
    private static List<string> SimpleCommands(string command)
    {
        var segments = new List<string>();
        var current = new System.Text.StringBuilder();
        char quote = '\0';
        for (var i = 0; i < command.Length; i++)
        {
            var c = command[i];
            if (quote != '\0')
            {
                current.Append(c);
                if (c == quote)
                {
                    quote = '\0';
                }
                else if (c == '\\' && quote == '"' && i + 1 < command.Length)
                {
                    current.Append(command[++i]);
                }

                continue;
            }

            switch (c)
            {
                case '\'' or '"':
                    quote = c;
                    current.Append(c);
                    break;
                case '\\' when i + 1 < command.Length:
                    current.Append(c).Append(command[++i]);
                    break;
                case '&' or '|' or ';' or '\n':
                    Flush();
                    break;
                case '(' or ')' or '{' or '}' when current.ToString().Trim().Length == 0 || c is ')' or '}':
                    break;
                default:
                    current.Append(c);
                    break;
            }
        }

        Flush();
        return segments;

        void Flush()
        {
            var text = current.ToString().Trim();
            if (text.Length > 0)
            {
                segments.Add(text);
            }

            current.Clear();
        }
    }

    // Words with their quotes removed; backslash escapes kept literal.
    private static List<string> Words(string segment)
    {
        var words = new List<string>();
        var word = new System.Text.StringBuilder();
        var inWord = false;
        char quote = '\0';
        for (var i = 0; i < segment.Length; i++)
        {
            var c = segment[i];
            if (quote != '\0')
            {
                if (c == quote)
                {
                    quote = '\0';
                }
                else if (c == '\\' && quote == '"' && i + 1 < segment.Length)
                {
                    word.Append(segment[++i]);
                }
                else
                {
                    word.Append(c);
                }

                continue;
            }

            if (char.IsWhiteSpace(c))
            {
                if (inWord)
                {
                    words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                }

                continue;
            }

            inWord = true;
            if (c is '\'' or '"')
            {
                quote = c;
            }
            else if (c == '\\' && i + 1 < segment.Length)
            {
                word.Append(segment[++i]);
            }
            else
            {
                word.Append(c);
            }
        }

        if (inWord)
        {
            words.Add(word.ToString());
        }

        return words;
    }

    // The index of the first word that is neither an assignment nor a wrapper (or its options).
    private static int SkipPrefixes(List<string> words)
    {
        var i = 0;
        while (i < words.Count)
        {
            var word = words[i];
            if (IsAssignment(word))
            {
                i++;
                continue;
            }

            if (!Wrappers.Contains(Path.GetFileName(word)))
            {
                return i;
            }

            var wrapper = Path.GetFileName(word);
            i++;
            while (i < words.Count && (words[i].StartsWith('-') || IsAssignment(words[i]) || (wrapper == "timeout" && IsDuration(words[i]))))
            {
                if (WrapperOptionsWithValue.Contains(words[i]) && i + 1 < words.Count)
                {
                    i++;
                }

                i++;
            }
        }

        return i;
    }

    private static bool IsAssignment(string word)
    {
        var equals = word.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0)
        {
            return false;
        }

        for (var i = 0; i < equals; i++)
        {
            var c = word[i];
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_') || (i == 0 && char.IsAsciiDigit(c)))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsDuration(string word) => word.Length > 0 && char.IsAsciiDigit(word[0]);
}
