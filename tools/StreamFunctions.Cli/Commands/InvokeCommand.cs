using System.CommandLine;
using System.Text;
using StreamFunctions.Local.Lambda;

namespace StreamFunctions.Cli.Commands;

/// <summary>
/// <c>sfn invoke &lt;Function&gt; --event events/x.json</c>: builds functions/&lt;Function&gt; (or takes
/// <c>--bootstrap</c>), runs it under a local Runtime API server, prints the response to stdout and the
/// function's logs to stderr; exit code 1 when the function failed. The stand-in for <c>sam local invoke</c>.
/// </summary>
internal static class InvokeCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var function = new Argument<string>("function") { Description = "The function: a folder under functions/ (e.g. Echo)." };
        var evnt = new Option<string>("--event", "-e") { Description = "The event file (see events/), or '-' for stdin.", Required = true };
        var timeout = new Option<int>("--timeout") { Description = "The function timeout in seconds (1 to 900).", DefaultValueFactory = _ => 30 };
        timeout.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 900)
            {
                r.AddError("--timeout must be between 1 and 900 seconds.");
            }
        });
        var bootstrap = new Option<string?>("--bootstrap") { Description = "Run this executable instead of building functions/<Function> (e.g. a Native AOT publish)." };
        var env = new Option<string[]>("--env") { Description = "NAME=VALUE for the function's environment; repeatable.", AllowMultipleArgumentsPerToken = true };
        var rebuild = new Option<bool>("--rebuild") { Description = "Build functions/<Function> even if its sources are unchanged since the last build." };
        var command = new Command("invoke", "Run a function once, locally, through the Lambda Runtime API, with an event.")
        {
            function,
            evnt,
            timeout,
            bootstrap,
            env,
            rebuild,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(
            parse.GetValue(function)!,
            parse.GetValue(evnt)!,
            TimeSpan.FromSeconds(parse.GetValue(timeout)),
            parse.GetValue(bootstrap),
            parse.GetValue(env) ?? [],
            Console.OpenStandardInput(),
            output,
            error,
            cancellationToken,
            parse.GetValue(rebuild)));
        return command;
    }

    internal static async Task<int> RunAsync(string function, string eventPath, TimeSpan timeout, string? bootstrap, string[] env, Stream stdin, TextWriter output, TextWriter error, CancellationToken cancellationToken, bool rebuild = false, IFunctionCompiler? compiler = null)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in env)
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                await error.WriteLineAsync($"sfn invoke: --env '{pair}' is not NAME=VALUE.").ConfigureAwait(false);
                return 2;
            }

            environment[pair[..equals]] = pair[(equals + 1)..];
        }

        byte[] payload;
        try
        {
            payload = eventPath == "-" ? await ReadAllAsync(stdin, cancellationToken).ConfigureAwait(false) : await File.ReadAllBytesAsync(eventPath, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"sfn invoke: cannot read the event '{eventPath}': {e.Message}").ConfigureAwait(false);
            return 2;
        }

        // Editors and some SDK fixtures save JSON with a UTF-8 byte-order mark; Lambda never sends one, so the
        // function gets the event without it.
        if (payload.AsSpan().StartsWith("\uFEFF"u8))
        {
            payload = payload[3..];
        }

        string executable;
        try
        {
            executable = bootstrap ?? await FunctionBuilds.BuildAsync(FunctionBuilds.RepositoryRoot(), function, compiler ?? FunctionBuilds.Dotnet, rebuild, error, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException e)
        {
            await error.WriteLineAsync($"sfn invoke: {e.Message}").ConfigureAwait(false);
            return 2;
        }

        try
        {
            await using var invoker = new ProcessLambdaInvoker(executable, new LocalFunctionOptions { FunctionName = function, Timeout = timeout, Environment = environment }, error);
            var result = await invoker.InvokeAsync(payload, cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync(Encoding.UTF8.GetString(result.Payload.Span)).ConfigureAwait(false);
            await error.WriteLineAsync($"sfn invoke: {function} request {result.RequestId}: {(result.Succeeded ? "succeeded" : "function error " + result.FunctionError)}").ConfigureAwait(false);
            return result.Succeeded ? 0 : 1;
        }
        catch (FileNotFoundException e)
        {
            await error.WriteLineAsync($"sfn invoke: {e.Message}").ConfigureAwait(false);
            return 2;
        }
    }

    private static async Task<byte[]> ReadAllAsync(Stream stream, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        return buffer.ToArray();
    }
}
