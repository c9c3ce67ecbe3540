using StreamFunctions.Dlq;
using StreamFunctions.Functions.FailureHandler;
using StreamFunctions.Lambda.Runtime;

FailureHandlerFunction? function = null;
return await LambdaHost.RunAsync(
    (payload, context, ct) => function!.HandleAsync(payload, context, ct),
    new LambdaHostOptions { Initialize = _ => Task.FromResult(function = FailureHandlerSetup.FromEnvironment()) }).ConfigureAwait(false);
