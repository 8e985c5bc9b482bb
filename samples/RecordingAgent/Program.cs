// A small agent that records its own model calls with Tally, then prints what it recorded.
//
//   dotnet run --project samples/RecordingAgent
//
// It talks to a scripted provider (no network), records into the ledger under TALLY_HOME
// (default ~/.tally), and ends by running `tally summary --json` over this run's session.

using Microsoft.Extensions.AI;
using RecordingAgent;
using Tally.Cli;

var session = $"recording-agent-{DateTimeOffset.UtcNow:yyyyMMddTHHmmss}-{Guid.NewGuid().ToString("N")[..6]}";

// UseTally comes last: closest to the provider, it records each billed call, including each
// round trip of the tool loop that UseFunctionInvocation runs.
using (var agent = new ChatClientBuilder(new ScriptedProvider())
    .UseFunctionInvocation()
    .UseTally(options =>
    {
        options.Agent = "weather-agent";
        options.SessionId = session;
        options.Tags["sample"] = "recording-agent";
    })
    .Build())
{
    var tools = new ChatOptions { Tools = [AIFunctionFactory.Create((string city) => $"18°C and sunny in {city}", "get_weather")] };
    var answer = await agent.GetResponseAsync("What is the weather in Paris?", tools);
    Console.Error.WriteLine($"agent: {answer.Text}");

    Console.Error.Write("agent: ");
    await foreach (var update in agent.GetStreamingResponseAsync("Should I take an umbrella?"))
    {
        Console.Error.Write(update.Text);
    }

    Console.Error.WriteLine();
} // disposing the pipeline flushes its records into the ledger

return await TallyCommand.RunAsync(["summary", "--json", "--source", "sdk", "--session", session], CliConsoles.Create());
