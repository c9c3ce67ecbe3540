using StreamFunctions.Functions.Echo;
using StreamFunctions.Lambda.Runtime;

return await LambdaHost.RunAsync(EchoHandler.HandleAsync).ConfigureAwait(false);
