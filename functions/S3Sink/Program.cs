using StreamFunctions.Aws;
using StreamFunctions.Functions.S3Sink;
using StreamFunctions.Lambda.Runtime;

S3SinkFunction? function = null;
return await LambdaHost.RunAsync(
    (payload, context, ct) => function!.HandleAsync(payload, context, ct),
    new LambdaHostOptions { Initialize = _ => Task.FromResult(function = S3SinkFunction.FromEnvironment(EnvironmentVariables.Process)) }).ConfigureAwait(false);
