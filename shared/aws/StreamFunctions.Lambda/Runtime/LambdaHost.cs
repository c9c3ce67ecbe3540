using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using StreamFunctions.Lambda.Exceptions;

namespace StreamFunctions.Lambda.Runtime;

/// <summary>A handler on raw bytes: the event in, the response out.</summary>
/// <param name="payload">The event.</param>
/// <param name="context">The invocation's context.</param>
/// <param name="cancellationToken">Cancelled when the host stops.</param>
/// <returns>The response body.</returns>
public delegate ValueTask<ReadOnlyMemory<byte>> LambdaHandler(ReadOnlyMemory<byte> payload, ILambdaContext context, CancellationToken cancellationToken);

/// <summary>
/// Runs a function under the Lambda Runtime API: reads <c>AWS_LAMBDA_RUNTIME_API</c> and the function's
/// variables, then loops next → handler → response (or error), forever. A handler exception is reported
/// as the invocation's error in AWS's format and the loop goes on; a failure before the loop (bad
/// configuration, a throwing initialiser) is reported to <c>/init/error</c> and the process exits non-zero.
/// </summary>
public static class LambdaHost
{
    /// <summary>
    /// The error type of a configuration error at init: <c>Runtime.ConfigInvalid</c>, one of the types the Lambda Runtime
    /// API documents for <c>/runtime/init/error</c> (with <c>Runtime.NoSuchHandler</c>, <c>Runtime.APIKeyNotFound</c>,
    /// <c>Runtime.UnknownReason</c>).
    /// </summary>
    public const string ConfigurationErrorType = "Runtime.ConfigInvalid";

    /// <summary>Runs a handler on raw bytes.</summary>
    /// <param name="handler">The handler.</param>
    /// <param name="options">Environment, output and clock; the process's when null.</param>
    /// <param name="cancellationToken">Stops the loop (tests; on Lambda the process is simply frozen and killed).</param>
    /// <returns>The process exit code.</returns>
    public static async Task<int> RunAsync(LambdaHandler handler, LambdaHostOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handler);
        options ??= new LambdaHostOptions();
        var environment = options.Environment ?? ProcessEnvironment;
        var time = options.Time ?? TimeProvider.System;
        var output = options.Output ?? Console.Out;
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        RuntimeApiClient client;
        try
        {
            client = new RuntimeApiClient(http, environment("AWS_LAMBDA_RUNTIME_API") ?? string.Empty);
        }
        catch (RuntimeApiException error)
        {
            await output.WriteLineAsync(error.Message).ConfigureAwait(false);
            return 2;
        }

        FunctionSettings function;
        LambdaLogger logger;
        try
        {
            function = new FunctionSettings(
                environment("AWS_LAMBDA_FUNCTION_NAME") ?? "function",
                environment("AWS_LAMBDA_FUNCTION_VERSION") ?? "$LATEST",
                int.TryParse(environment("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var memory) ? memory : 128,
                environment("AWS_LAMBDA_LOG_FORMAT") ?? "Text",
                environment("AWS_LAMBDA_LOG_LEVEL") ?? "INFO");
            var level = Enum.TryParse<LambdaLogLevel>(function.LogLevel, ignoreCase: true, out var parsed)
                ? parsed
                : throw new LambdaSettingException($"AWS_LAMBDA_LOG_LEVEL is '{function.LogLevel}'; it must be one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL.");
            if (!function.LogFormat.Equals("JSON", StringComparison.OrdinalIgnoreCase) && !function.LogFormat.Equals("Text", StringComparison.OrdinalIgnoreCase))
            {
                throw new LambdaSettingException($"AWS_LAMBDA_LOG_FORMAT is '{function.LogFormat}'; it must be JSON or Text.");
            }

            logger = new LambdaLogger(output, function.LogFormat.Equals("JSON", StringComparison.OrdinalIgnoreCase), level, time);
            if (options.Initialize is not null)
            {
                await options.Initialize(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            // A configuration error's message says all (the setting, its value, what is accepted): Lambda's documented
            // type for it and no stack trace. Any other error keeps its type and frames.
            var report = error is LambdaSettingException || options.IsConfigurationError?.Invoke(error) == true
                ? new LambdaError(ConfigurationErrorType, OneLine(error.Message), [])
                : LambdaError.From(error) with { ErrorType = "Runtime." + error.GetType().Name };
            await client.InitErrorAsync(report, cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync($"Init error: {report.ErrorType}: {OneLine(error.Message)}").ConfigureAwait(false);
            return 1;
        }

        while (!cancellationToken.IsCancellationRequested)
        {
            Invocation invocation;
            try
            {
                invocation = await client.NextAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }

            if (options.Environment is null)
            {
                // The X-Ray SDK reads the trace header from the environment, as on Lambda.
                System.Environment.SetEnvironmentVariable("_X_AMZN_TRACE_ID", invocation.TraceId);
            }

            var context = new LambdaContext(invocation, function, logger.ForRequest(invocation.RequestId), time);
            ReadOnlyMemory<byte> response;
            try
            {
                response = await handler(invocation.Payload, context, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception error) when (error is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                context.Logger.Error($"{error.GetType().Name}: {error.Message}", new KeyValuePair<string, object?>("errorType", error.GetType().Name));
                await client.ErrorAsync(invocation.RequestId, LambdaError.From(error), cancellationToken).ConfigureAwait(false);
                continue;
            }

            try
            {
                await client.ResponseAsync(invocation.RequestId, response, cancellationToken).ConfigureAwait(false);
            }
            catch (RuntimeApiException error)
            {
                // Lambda refused the response (e.g. over 6 MB): it failed the invocation itself; serve the next.
                context.Logger.Error(error.Message);
            }
        }

        return 0;
    }

    /// <summary>Runs a typed handler: the event and the response go through source-generated JSON (Native AOT safe).</summary>
    /// <typeparam name="TIn">The event type.</typeparam>
    /// <typeparam name="TOut">The response type.</typeparam>
    /// <param name="handler">The handler.</param>
    /// <param name="input">The event's JSON type info.</param>
    /// <param name="output">The response's JSON type info.</param>
    /// <param name="options">Environment, output and clock.</param>
    /// <param name="cancellationToken">Stops the loop.</param>
    /// <returns>The process exit code.</returns>
    public static Task<int> RunAsync<TIn, TOut>(
        Func<TIn, ILambdaContext, CancellationToken, ValueTask<TOut>> handler,
        JsonTypeInfo<TIn> input,
        JsonTypeInfo<TOut> output,
        LambdaHostOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        return RunAsync(Typed(handler, input, output), options, cancellationToken);
    }

    /// <summary>A typed handler as a <see cref="LambdaHandler"/>: the event and the response go through source-generated JSON.</summary>
    /// <typeparam name="TIn">The event type.</typeparam>
    /// <typeparam name="TOut">The response type.</typeparam>
    /// <param name="handler">The handler.</param>
    /// <param name="input">The event's JSON type info.</param>
    /// <param name="output">The response's JSON type info.</param>
    /// <returns>The handler over bytes.</returns>
    public static LambdaHandler Typed<TIn, TOut>(Func<TIn, ILambdaContext, CancellationToken, ValueTask<TOut>> handler, JsonTypeInfo<TIn> input, JsonTypeInfo<TOut> output)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        return async (payload, context, ct) =>
        {
            var evnt = JsonSerializer.Deserialize(payload.Span, input)
                ?? throw new JsonException($"The event is JSON null; expected {typeof(TIn).Name}.");
            var result = await handler(evnt, context, ct).ConfigureAwait(false);
            return JsonSerializer.SerializeToUtf8Bytes(result, output);
        };
    }

    private static string OneLine(string text) => string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

#pragma warning disable RS0030 // The one place the Lambda layer reads the process environment (a function's own configuration).
    private static string? ProcessEnvironment(string name) => Environment.GetEnvironmentVariable(name);
#pragma warning restore RS0030
}

/// <summary>How <see cref="LambdaHost"/> reads its configuration and where it writes.</summary>
public sealed record LambdaHostOptions
{
    /// <summary>Reads a variable; the process environment when null.</summary>
    public Func<string, string?>? Environment { get; init; }

    /// <summary>Where logs go; stdout when null.</summary>
    public TextWriter? Output { get; init; }

    /// <summary>The clock; the system clock when null.</summary>
    public TimeProvider? Time { get; init; }

    /// <summary>Work before the first invocation (clients, caches); an exception here is an init error.</summary>
    public Func<CancellationToken, Task>? Initialize { get; init; }

    /// <summary>
    /// Which init errors are configuration errors (e.g. <c>e is AwsConfigurationException</c>): those are reported as
    /// <see cref="LambdaHost.ConfigurationErrorType"/> with their message on one line and no stack trace. None when null.
    /// </summary>
    public Func<Exception, bool>? IsConfigurationError { get; init; }
}
