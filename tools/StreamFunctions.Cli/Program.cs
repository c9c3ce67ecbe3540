using System.CommandLine;
using System.Text.RegularExpressions;
using StreamFunctions.Cli;
using StreamFunctions.Cli.Commands;

// Ctrl-C is ours, not System.CommandLine's (see ConsoleInterruption): its token is every command's.
using var interruption = new ConsoleInterruption(Console.Error);

var root = new RootCommand("sfn: run StreamFunctions pipelines locally, against LocalStack, or on AWS.")
{
    RunCommand.Create(Console.Out, Console.Error),
    ParametersCommand.Create(Console.Out, Console.Error),
    TailCommand.Create(Console.Out, Console.Error),
    ReplayCommand.Create(Console.Out, Console.Error),
    SmokeCommand.Create(Console.Out, Console.Error),
    StatusCommand.Create(Console.Out, Console.Error),
    InvokeCommand.Create(Console.Out, Console.Error),
    DlqCommand.Create(Console.Out, Console.Error),
    ShardsCommand.Create(Console.Out, Console.Error),
};

var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    // A usage error is one line and exit code 2, not System.CommandLine's errors, the help text and 1.
    var names = new List<string>();
    for (var result = parse.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
    {
        names.Insert(0, result.Command.Name);
    }

    var path = string.Join(' ', names);
    var reasons = Regex.Replace(string.Join(' ', parse.Errors.Select(e => e.Message)), @"\s+", " ").Trim();
    await Console.Error.WriteLineAsync($"{path}: {reasons} (see: {path} --help)");
    return 2;
}

var exit = await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, interruption.Token);
return interruption.ExitCode ?? exit;
