using System.CommandLine;
using StreamFunctions.Cli.Commands;

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

return await root.Parse(args).InvokeAsync();
