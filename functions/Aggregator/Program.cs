using StreamFunctions.Aws;
using StreamFunctions.Functions.Aggregator;
using StreamFunctions.Lambda.Runtime;

AggregatorFunction? function = null;
return await LambdaHost.RunAsync(
    (payload, context, ct) => function!.HandleAsync(payload, context, ct),
    new LambdaHostOptions { Initialize = _ => Task.FromResult(function = AggregatorFunction.FromEnvironment(EnvironmentVariables.Process)) }).ConfigureAwait(false);
