using StreamFunctions.Lambda.Events.ApiGateway;
using StreamFunctions.Lambda.Runtime;

namespace StreamFunctions.Gateway;

/// <summary>
/// The Gateway function's handler: an HTTP API (or Function URL) request in, the gateway's answer out, leaving
/// time before the invocation's deadline to answer after the last retry. <c>functions/Gateway</c> builds it from
/// the environment; the local pipeline builds it on the embedded stream log.
/// </summary>
/// <param name="gateway">The gateway.</param>
public sealed class GatewayFunction(GatewayService gateway)
{
    /// <summary>Handles one request.</summary>
    /// <param name="request">The request.</param>
    /// <param name="context">The invocation.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>The response.</returns>
    public async ValueTask<APIGatewayHttpApiV2ProxyResponse> HandleAsync(APIGatewayHttpApiV2ProxyRequest request, ILambdaContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var response = await gateway.HandleAsync(request, InvocationDeadline.Retries.Of(context), cancellationToken).ConfigureAwait(false);
        context.Logger.Info("ingest",
            new KeyValuePair<string, object?>("status", response.StatusCode),
            new KeyValuePair<string, object?>("bodyBytes", request.Body?.Length ?? 0));
        return response;
    }
}
