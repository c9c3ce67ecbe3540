using StreamFunctions.Aws;
using StreamFunctions.Aws.Exceptions;
using StreamFunctions.Functions.S3Sink;
using StreamFunctions.Sink;
using StreamFunctions.Lambda.Runtime;

S3SinkFunction? function = null;
return await LambdaHost.RunAsync(
    (payload, context, ct) => function!.HandleAsync(payload, context, ct),
    new LambdaHostOptions
    {
        Initialize = _ => Task.FromResult(function = S3SinkSetup.FromEnvironment(EnvironmentVariables.Process)),
        IsConfigurationError = static e => e is AwsConfigurationException,
    }).ConfigureAwait(false);
