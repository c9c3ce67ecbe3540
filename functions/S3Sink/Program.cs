using StreamFunctions.Aws;
using StreamFunctions.Functions.S3Sink;
using StreamFunctions.Sink;
using StreamFunctions.Lambda.Runtime;

S3SinkFunction? function = null;
return await LambdaHost.RunAsync(
    (payload, context, ct) => function!.HandleAsync(payload, context, ct),
    new LambdaHostOptions { Initialize = _ => Task.FromResult(function = S3SinkSetup.FromEnvironment(EnvironmentVariables.Process)) }).ConfigureAwait(false);
