using StreamFunctions.Aws;
using StreamFunctions.Aws.Exceptions;
using StreamFunctions.Functions.Router;
using StreamFunctions.Lambda.Runtime;
using StreamFunctions.Router;

RouterFunction? function = null;
return await LambdaHost.RunAsync(
    (payload, context, ct) => function!.HandleAsync(payload, context, ct),
    new LambdaHostOptions
    {
        Initialize = _ => Task.FromResult(function = RouterSetup.FromEnvironment(EnvironmentVariables.Process)),
        IsConfigurationError = static e => e is AwsConfigurationException,
    }).ConfigureAwait(false);
