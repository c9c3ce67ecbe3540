using StreamFunctions.Lambda.Runtime;

namespace StreamFunctions.Benchmarks.LambdaEvents;

/// <summary>
/// The context of an invocation that has just started, for calling a handler directly: its whole timeout is left at
/// every call (each benchmark invocation is a new invocation), and its log lines are formatted as Lambda's JSON log
/// format has them, then discarded.
/// </summary>
/// <param name="functionName">The function's name.</param>
/// <param name="timeout">The function's timeout.</param>
/// <param name="memoryMb">The function's memory.</param>
internal sealed class BenchmarkLambdaContext(string functionName, TimeSpan timeout, int memoryMb = 1024) : ILambdaContext
{
    public string AwsRequestId => "5e0a1f6c-8f6e-4c1b-9a57-000000000001";

    public string InvokedFunctionArn => $"arn:aws:lambda:us-east-1:123456789012:function:{functionName}";

    public string FunctionName => functionName;

    public string FunctionVersion => "$LATEST";

    public int MemoryLimitInMB => memoryMb;

    public DateTimeOffset Deadline => TimeProvider.System.GetUtcNow() + timeout;

    public TimeSpan RemainingTime => timeout;

    public string? TraceId => null;

    public LambdaLogger Logger { get; } = new(TextWriter.Null, json: true, requestId: "5e0a1f6c-8f6e-4c1b-9a57-000000000001");
}
