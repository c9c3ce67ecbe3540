using StreamFunctions.Aws;
using StreamFunctions.Aws.Exceptions;
using StreamFunctions.Functions.Transform;
using StreamFunctions.Lambda.Runtime;
using StreamFunctions.Transform;

TransformFunction? function = null;
return await LambdaHost.RunAsync(
    (payload, context, ct) => function!.HandleAsync(payload, context, ct),
    new LambdaHostOptions
    {
        Initialize = _ => Task.FromResult(function = TransformSetup.FromEnvironment(EnvironmentVariables.Process)),
        IsConfigurationError = static e => e is AwsConfigurationException,
    }).ConfigureAwait(false);
