namespace StreamFunctions.Lambda.Invocation;

/// <summary>
/// Invokes a function synchronously (Lambda's RequestResponse invocation type) with a JSON
/// payload: the seam the event-source-mapping runner calls functions through. Implemented by the
/// local Runtime API server (a function executable speaking the real Runtime API), by an
/// in-process handler, and by Lambda's Invoke API.
/// </summary>
public interface ILambdaInvoker
{
    /// <summary>Invokes the function once and waits for its response.</summary>
    /// <param name="payload">The event, UTF-8 JSON (at most 6 MB, as Lambda allows).</param>
    /// <param name="cancellationToken">Cancels the wait; the invocation may still run.</param>
    /// <returns>The response or the function's error; transport failures throw.</returns>
    Task<LambdaInvocationResult> InvokeAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default);
}

/// <summary>The outcome of one synchronous invocation, as Lambda's Invoke API reports it.</summary>
/// <param name="StatusCode">200 when the function ran (even if it failed), as Invoke reports.</param>
/// <param name="Payload">The response body, or the error document when <paramref name="FunctionError"/> is set.</param>
/// <param name="FunctionError">Null on success; <c>Unhandled</c> when the function threw, timed out or crashed.</param>
/// <param name="RequestId">The invocation's request id.</param>
/// <param name="ExecutedVersion">The version that ran (<c>$LATEST</c> locally).</param>
public sealed record LambdaInvocationResult(
    int StatusCode,
    ReadOnlyMemory<byte> Payload,
    string? FunctionError,
    string RequestId,
    string ExecutedVersion = "$LATEST")
{
    /// <summary>Whether the function returned normally.</summary>
    public bool Succeeded => FunctionError is null;
}
