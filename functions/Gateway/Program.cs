using StreamFunctions.Aws;
using StreamFunctions.Aws.Exceptions;
using StreamFunctions.Functions.Gateway;
using StreamFunctions.Gateway;
using StreamFunctions.Lambda.Events;
using StreamFunctions.Lambda.Runtime;

GatewayFunction? function = null;
return await LambdaHost.RunAsync(
    (request, context, ct) => function!.HandleAsync(request, context, ct),
    LambdaEventsJsonContext.Default.APIGatewayHttpApiV2ProxyRequest,
    LambdaEventsJsonContext.Default.APIGatewayHttpApiV2ProxyResponse,
    new LambdaHostOptions
    {
        Initialize = _ => Task.FromResult(function = GatewaySetup.FromEnvironment(EnvironmentVariables.Process)),
        IsConfigurationError = static e => e is AwsConfigurationException,
    }).ConfigureAwait(false);
