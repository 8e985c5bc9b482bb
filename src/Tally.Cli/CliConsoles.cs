using Spectre.Console;

namespace Tally.Cli;

/// <summary>
/// Where output goes: data to stdout, everything meant for a person (warnings, progress, notes)
/// to stderr, so that <c>--json</c> output can be piped. Colour only on a terminal; Spectre's
/// detection honours <c>NO_COLOR</c>.
/// </summary>
/// <param name="Out">Standard output.</param>
/// <param name="Error">Standard error.</param>
/// <param name="ErrorIsTerminal">Whether stderr is an interactive terminal (progress is shown only then).</param>
internal sealed record CliConsoles(IAnsiConsole Out, IAnsiConsole Error, bool ErrorIsTerminal)
{
    public static CliConsoles Create() => new(
        Build(Console.Out, Console.IsOutputRedirected),
        Build(Console.Error, Console.IsErrorRedirected),
        !Console.IsErrorRedirected);

    private static IAnsiConsole Build(TextWriter writer, bool redirected)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = redirected ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = redirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            Interactive = redirected ? InteractionSupport.No : InteractionSupport.Detect,
        });

        if (redirected)
        {
            // A pipe has no width; don't squeeze tables into Spectre's 80-column default.
            console.Profile.Width = 240;
        }

        return console;
    }
}
