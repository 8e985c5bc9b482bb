using System.Diagnostics;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Tally.Cli.Tests;

/// <summary>
/// Runs the built <c>tally</c> as a separate process against a temporary HOME, the way a user
/// runs it: real files, real SQLite ledger, real exit codes and output streams.
/// </summary>
internal sealed class CliRunner : IDisposable
{
    private static readonly string TallyDll = Path.Combine(AppContext.BaseDirectory, "tally.dll");

    public CliRunner()
    {
        Home = Directory.CreateTempSubdirectory("tally-home-").FullName;
        TallyHome = Path.Combine(Home, ".tally");
    }

    public string Home { get; }

    public string TallyHome { get; }

    public string ClaudeProjects => Path.Combine(Home, ".claude", "projects");

    /// <summary>The default ledger under <see cref="TallyHome"/>.</summary>
    public string Ledger => Path.Combine(TallyHome, "ledger.db");

    /// <summary>Calls committed to the ledger so far, read the way another process would; 0 before it exists.</summary>
    public long CommittedCalls()
    {
        if (!File.Exists(Ledger))
        {
            return 0;
        }

        try
        {
            using var connection = new SqliteConnection($"Data Source={Ledger};Mode=ReadOnly;Pooling=False");
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT count(*) FROM calls";
            return (long)command.ExecuteScalar()!;
        }
        catch (SqliteException)
        {
            return 0; // not created or migrated yet
        }
    }

    /// <summary>Extra environment for every run (null removes a variable).</summary>
    public Dictionary<string, string?> Environment { get; } = new();

    /// <summary>Copies the fixture tree <c>Fixtures/claude/projects</c> into the HOME's <c>~/.claude/projects</c>.</summary>
    public void AddClaudeFixtures() => CopyTree(Path.Combine(AppContext.BaseDirectory, "Fixtures", "claude", "projects"), ClaudeProjects);

    /// <summary>Copies the OpenCode fixture <c>storage/</c> tree into the HOME's <c>~/.local/share/opencode</c>.</summary>
    public void AddOpenCodeFixtures() =>
        CopyTree(Path.Combine(AppContext.BaseDirectory, "Fixtures", "opencode", "tree"), Path.Combine(Home, ".local", "share", "opencode"));

    /// <summary>Copies Codex fixture files into <c>~/.codex/sessions/2025/10/07/rollout-*.jsonl</c>.</summary>
    public void AddCodexFixtures(params string[] names)
    {
        var sessions = Path.Combine(Home, ".codex", "sessions", "2025", "10", "07");
        Directory.CreateDirectory(sessions);
        foreach (var name in names)
        {
            File.Copy(
                Path.Combine(AppContext.BaseDirectory, "Fixtures", "codex", name),
                Path.Combine(sessions, $"rollout-2025-10-07T10-00-00-{Path.GetFileNameWithoutExtension(name)}.jsonl"));
        }
    }

    /// <summary>Copies a Gemini CLI fixture chat into <c>~/.gemini/tmp/&lt;project&gt;/chats/</c>.</summary>
    public void AddGeminiFixture(string name)
    {
        var chats = Path.Combine(Home, ".gemini", "tmp", "3f1c0ffee", "chats");
        Directory.CreateDirectory(chats);
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Fixtures", "gemini", name), Path.Combine(chats, "session-2025-11-02T09-00-0b9c6f1e.json"));
    }

    private static void CopyTree(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }

    public Task<CliResult> RunAsync(params string[] args) => RunWithInputAsync(null, args);

    /// <summary>Runs <c>tally</c> with <paramref name="input"/> on its standard input.</summary>
    public async Task<CliResult> RunWithInputAsync(string? input, params string[] args)
    {
        using var process = Start(args);
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
        }

        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts <c>tally</c> without waiting for it; the caller reads or drains its output and disposes it.</summary>
    public Process Start(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(TallyDll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["HOME"] = Home;
        start.Environment["USERPROFILE"] = Home;
        start.Environment["TALLY_HOME"] = TallyHome;
        start.Environment["NO_COLOR"] = "1";
        start.Environment["TZ"] = "UTC";
        foreach (var name in new[] { "CLAUDE_CONFIG_DIR", "XDG_CONFIG_HOME", "TALLY_LEDGER", "CODEX_HOME", "XDG_DATA_HOME" })
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in Environment)
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        return Process.Start(start)!;
    }

    /// <summary>Runs a command that must succeed and print JSON.</summary>
    public async Task<JsonElement> JsonAsync(params string[] args)
    {
        var result = await RunAsync([.. args, "--json"]);
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Stderr}");
        return JsonDocument.Parse(result.Stdout).RootElement.Clone();
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Home, recursive: true);
        }
        catch (IOException)
        {
            // A ledger file still closing on a slow machine; the temp folder is cleaned by the OS.
        }
    }
}

internal sealed record CliResult(int ExitCode, string Stdout, string Stderr);
