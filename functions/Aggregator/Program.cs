using StreamFunctions.Aws;
using StreamFunctions.Aws.Exceptions;
using StreamFunctions.Aggregator;
using StreamFunctions.Functions.Aggregator;
using StreamFunctions.Lambda.Runtime;

AggregatorFunction? function = null;
return await LambdaHost.RunAsync(
    (payload, context, ct) => function!.HandleAsync(payload, context, ct),
    new LambdaHostOptions
    {
        Initialize = _ => Task.FromResult(function = AggregatorSetup.FromEnvironment(EnvironmentVariables.Process)),
        IsConfigurationError = static e => e is AwsConfigurationException,
    }).ConfigureAwait(false);
