using System.Text.Json;

namespace Tally.Sources.Codex;

/// <summary>What a Codex tool call acted on: the command of a shell call, the files of a patch, a path.</summary>
internal static class CodexToolTargets
{
    private const string PatchFileMark = "*** ";
    private static readonly string[] PatchHeaders = ["*** Update File: ", "*** Add File: ", "*** Delete File: "];

    /// <param name="name">The tool name (<c>shell</c>, <c>exec_command</c>, <c>apply_patch</c>, …).</param>
    /// <param name="arguments">A function call's arguments: a JSON object written as a string.</param>
    /// <param name="input">A custom tool call's raw input (the patch text of <c>apply_patch</c>).</param>
    public static string? Target(string? name, string? arguments, string? input)
    {
        if (input is not null)
        {
            return name == "apply_patch" || input.Contains("*** Begin Patch", StringComparison.Ordinal) ? PatchFiles(input) : null;
        }

        if (arguments is null)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(arguments);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            if (root.TryGetProperty("command", out var command))
            {
                return Command(command);
            }

            if (root.TryGetProperty("cmd", out var cmd) && cmd.ValueKind == JsonValueKind.String)
            {
                return cmd.GetString();
            }

            if (name == "apply_patch" && root.TryGetProperty("input", out var patch) && patch.ValueKind == JsonValueKind.String)
            {
                return PatchFiles(patch.GetString()!);
            }

            foreach (var field in (ReadOnlySpan<string>)["path", "file_path", "url", "pattern", "query"])
            {
                if (root.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String)
                {
                    return value.GetString();
                }
            }

            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// A <c>command</c> array: the script of <c>bash -lc &lt;script&gt;</c>, the files of
    /// <c>apply_patch &lt;patch&gt;</c>, else the words joined by spaces. A string is taken as it is.
    /// </summary>
    private static string? Command(JsonElement command)
    {
        if (command.ValueKind == JsonValueKind.String)
        {
            return command.GetString();
        }

        if (command.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        var words = new List<string>();
        foreach (var word in command.EnumerateArray())
        {
            if (word.ValueKind == JsonValueKind.String)
            {
                words.Add(word.GetString()!);
            }
        }

        if (words.Count == 0)
        {
            return null;
        }

        if (words.Count == 3 && words[1] is "-lc" or "-c" && Path.GetFileName(words[0]) is "bash" or "sh" or "zsh")
        {
            return words[2];
        }

        if (words.Count == 2 && words[0] == "apply_patch")
        {
            return PatchFiles(words[1]);
        }

        return string.Join(' ', words);
    }

    /// <summary>The files a patch touches (<c>*** Update/Add/Delete File: &lt;path&gt;</c>), in order, each once, joined by ", ".</summary>
    internal static string? PatchFiles(string patch)
    {
        var files = new List<string>();
        foreach (var rawLine in patch.AsSpan().EnumerateLines())
        {
            if (!rawLine.StartsWith(PatchFileMark, StringComparison.Ordinal))
            {
                continue;
            }

            foreach (var header in PatchHeaders)
            {
                if (rawLine.StartsWith(header, StringComparison.Ordinal))
                {
                    var path = rawLine[header.Length..].Trim().ToString();
                    if (path.Length > 0 && !files.Contains(path, StringComparer.Ordinal))
                    {
                        files.Add(path);
                    }

                    break;
                }
            }
        }

        return files.Count == 0 ? null : string.Join(", ", files);
    }
}
