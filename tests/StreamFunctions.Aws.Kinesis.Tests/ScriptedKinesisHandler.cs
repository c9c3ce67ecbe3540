using System.Net;
using System.Text;

namespace StreamFunctions.Aws.Kinesis.Tests;

/// <summary>
/// An HTTP handler that answers Kinesis calls from a script, one step per request, and records
/// what was sent: the transport under the client, faked so that errors, timeouts and broken
/// connections can be produced on demand.
/// </summary>
internal sealed class ScriptedKinesisHandler : HttpMessageHandler
{
    private readonly Queue<Func<HttpRequestMessage, Task<HttpResponseMessage>>> _steps = new();

    public List<(string Target, string Body)> Sent { get; } = [];

    public ScriptedKinesisHandler Respond(HttpStatusCode status, string json, string? errorTypeHeader = null)
    {
        _steps.Enqueue(_ =>
        {
            var response = new HttpResponseMessage(status) { Content = new StringContent(json, Encoding.UTF8, "application/x-amz-json-1.1") };
            response.Headers.TryAddWithoutValidation("x-amzn-RequestId", "req-" + _steps.Count);
            if (errorTypeHeader is not null)
            {
                response.Headers.TryAddWithoutValidation("x-amzn-ErrorType", errorTypeHeader);
            }

            return Task.FromResult(response);
        });
        return this;
    }

    public ScriptedKinesisHandler Throw(Exception error)
    {
        _steps.Enqueue(_ => Task.FromException<HttpResponseMessage>(error));
        return this;
    }

    public ScriptedKinesisHandler Hang()
    {
        _steps.Enqueue(async _ =>
        {
            await Task.Delay(Timeout.Infinite, HangToken).ConfigureAwait(false);
            throw new InvalidOperationException("unreachable");
        });
        return this;
    }

    private CancellationToken HangToken { get; set; }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var target = request.Headers.TryGetValues("X-Amz-Target", out var values) ? values.Single() : "";
        var body = request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        Sent.Add((target, body));
        if (_steps.Count == 0)
        {
            throw new InvalidOperationException($"No scripted response left for request {Sent.Count} ({target}).");
        }

        HangToken = cancellationToken;
        return await _steps.Dequeue()(request).ConfigureAwait(false);
    }
}
