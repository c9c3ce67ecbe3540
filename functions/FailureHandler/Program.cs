using StreamFunctions.Aws;
using StreamFunctions.Aws.Exceptions;
using StreamFunctions.FailureHandler;
using StreamFunctions.Functions.FailureHandler;
using StreamFunctions.Lambda.Runtime;

FailureHandlerFunction? function = null;
return await LambdaHost.RunAsync(
    (payload, context, ct) => function!.HandleAsync(payload, context, ct),
    new LambdaHostOptions
    {
        Initialize = _ => Task.FromResult(function = FailureHandlerSetup.FromEnvironment(EnvironmentVariables.Process)),
        IsConfigurationError = static e => e is AwsConfigurationException,
    }).ConfigureAwait(false);
