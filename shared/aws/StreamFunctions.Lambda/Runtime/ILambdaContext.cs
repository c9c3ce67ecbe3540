namespace StreamFunctions.Lambda.Runtime;

/// <summary>What a handler knows about its invocation (named as in Amazon.Lambda.Core).</summary>
public interface ILambdaContext
{
    /// <summary>The invocation's request id.</summary>
    string AwsRequestId { get; }

    /// <summary>The ARN the function was invoked with (may carry a version or alias).</summary>
    string InvokedFunctionArn { get; }

    /// <summary>The function's name.</summary>
    string FunctionName { get; }

    /// <summary>The function's version.</summary>
    string FunctionVersion { get; }

    /// <summary>The configured memory.</summary>
    int MemoryLimitInMB { get; }

    /// <summary>When Lambda stops the invocation.</summary>
    DateTimeOffset Deadline { get; }

    /// <summary>Time left until <see cref="Deadline"/>.</summary>
    TimeSpan RemainingTime { get; }

    /// <summary>The X-Ray trace header, if any.</summary>
    string? TraceId { get; }

    /// <summary>The structured logger of this invocation (its lines carry the request id).</summary>
    LambdaLogger Logger { get; }
}

internal sealed class LambdaContext(Invocation invocation, FunctionSettings function, LambdaLogger logger, TimeProvider time) : ILambdaContext
{
    public string AwsRequestId => invocation.RequestId;

    public string InvokedFunctionArn => invocation.InvokedFunctionArn;

    public string FunctionName => function.Name;

    public string FunctionVersion => function.Version;

    public int MemoryLimitInMB => function.MemoryMb;

    public DateTimeOffset Deadline => invocation.Deadline;

    public TimeSpan RemainingTime => invocation.Deadline - time.GetUtcNow();

    public string? TraceId => invocation.TraceId;

    public LambdaLogger Logger => logger;
}

/// <summary>The function's configuration, from the variables Lambda sets.</summary>
internal sealed record FunctionSettings(string Name, string Version, int MemoryMb, string LogFormat, string LogLevel);
