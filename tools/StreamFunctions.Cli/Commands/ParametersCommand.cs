using System.CommandLine;
using System.Text;
using StreamFunctions.Cli.Run;

namespace StreamFunctions.Cli.Commands;

/// <summary>
/// <c>sfn parameters</c>: a pipeline file's settings as <c>template.yaml</c>'s parameters, as the
/// <c>parameter_overrides</c> of a <c>samconfig.toml</c> environment, so the pipeline that ran locally deploys as is.
/// </summary>
internal static class ParametersCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var pipeline = new Option<string?>("--pipeline") { Description = "The pipeline file (YAML or JSON); the built-in pipeline when omitted." };
        var command = new Command("parameters", "Print a pipeline's settings as template.yaml parameters (samconfig.toml parameter_overrides).") { pipeline };
        command.SetAction((parse, cancellationToken) => RunAsync(parse.GetValue(pipeline), output, error, cancellationToken));
        return command;
    }

    internal static async Task<int> RunAsync(string? pipelineFile, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (await PipelineConfig.LoadAsync(pipelineFile, "sfn parameters", error, cancellationToken).ConfigureAwait(false) is not { } config)
        {
            return 2;
        }

        await output.WriteLineAsync($"# {pipelineFile ?? "the built-in pipeline"} as template.yaml parameters: paste under [<env>.deploy.parameters] in samconfig.toml").ConfigureAwait(false);
        await output.WriteLineAsync("parameter_overrides = [").ConfigureAwait(false);
        foreach (var (setting, parameter, value) in config.TemplateParameters())
        {
            await output.WriteLineAsync($"  {Toml($"{parameter}={value}")},  # {setting}").ConfigureAwait(false);
        }

        await output.WriteLineAsync("]").ConfigureAwait(false);
        return 0;
    }

    // A TOML basic string.
    internal static string Toml(string value)
    {
        var text = new StringBuilder("\"");
        foreach (var c in value)
        {
            text.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                < ' ' => $"\\u{(int)c:X4}",
                _ => c.ToString(),
            });
        }

        return text.Append('"').ToString();
    }
}
