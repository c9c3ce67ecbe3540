using StreamFunctions.Lambda.Invocation;
using StreamFunctions.Lambda.Runtime;

namespace StreamFunctions.Local.Lambda;

/// <summary>
/// Invokes a handler that runs in this process under <see cref="LambdaHost"/>, through a local Runtime
/// API server: the real protocol (HTTP, headers, error format, timeouts) without starting a process.
/// </summary>
public sealed class InProcessLambdaInvoker : ILambdaInvoker, IAsyncDisposable
{
    private readonly LocalRuntimeApiServer _server;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task<int> _host;

    /// <summary>Starts the server and the host.</summary>
    /// <param name="handler">The function's handler.</param>
    /// <param name="function">Name, timeout, memory and environment.</param>
    /// <param name="logs">Where the function's logs go; discarded when null.</param>
    public InProcessLambdaInvoker(LambdaHandler handler, LocalFunctionOptions? function = null, TextWriter? logs = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        function ??= new LocalFunctionOptions();
        _server = new LocalRuntimeApiServer(function, log: logs);
        _server.Start();
        var environment = new Dictionary<string, string>(function.Environment, StringComparer.Ordinal)
        {
            ["AWS_LAMBDA_RUNTIME_API"] = _server.RuntimeApi,
            ["AWS_LAMBDA_FUNCTION_NAME"] = function.FunctionName,
            ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = function.MemoryMb.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        var options = new LambdaHostOptions
        {
            Environment = name => environment.TryGetValue(name, out var value) ? value : null,
            Output = logs ?? TextWriter.Null,
        };
        _host = Task.Run(() => LambdaHost.RunAsync(handler, options, _stop.Token));
    }

    /// <inheritdoc />
    public Task<LambdaInvocationResult> InvokeAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default) =>
        _server.InvokeAsync(payload, cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _server.DisposeAsync().ConfigureAwait(false);
        try
        {
            await _host.ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or HttpRequestException or StreamFunctions.Lambda.Exceptions.RuntimeApiException)
        {
            // The host stops when its next call is cancelled, the server goes away, or it answers that it stopped.
        }

        _stop.Dispose();
    }
}
