using StreamFunctions.Functions.FailureHandler;
using StreamFunctions.Lambda.Events;
using StreamFunctions.Lambda.Runtime;

FailureHandlerFunction? function = null;
return await LambdaHost.RunAsync(
    (evnt, context, ct) => function!.HandleAsync(evnt, context, ct),
    LambdaEventsJsonContext.Default.SQSEvent,
    LambdaEventsJsonContext.Default.StreamsEventResponse,
    new LambdaHostOptions { Initialize = _ => Task.FromResult(function = FailureHandlerFunction.FromEnvironment()) }).ConfigureAwait(false);
