using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using StreamFunctions.Aws.Kinesis;
using StreamFunctions.KinesisApi;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Lambda.Events;
using StreamFunctions.Local.Lambda;
using StreamFunctions.Testing;

namespace StreamFunctions.Gateway.Tests;

/// <summary>
/// The Gateway's logs hold neither payloads nor secrets: the function runs as Lambda runs it (its bootstrap, API-key
/// mode), with a marker as its AWS secret key, and is sent accepted and refused requests (a wrong key, the right key,
/// bodies that are not JSON or break a rule, partition keys too long), each carrying markers; its stdout and stderr
/// are then searched for every marker and for the API key.
/// </summary>
[Collection(LocalAwsCollection.Name)]
[Trait(TestCategories.Category, TestCategories.Integration)]
public sealed class GatewayLogTests(LocalAwsFixture aws) : IAsyncLifetime, IDisposable
{
    private readonly KinesisClient _kinesis = KinesisClient.Create(aws.Settings);
    private readonly string _stream = LocalAwsFixture.UniqueName("sfn-gateway-logs");

    public async Task InitializeAsync() => await _kinesis.CreateActiveAsync(_stream, 1);

    public async Task DisposeAsync() => await _kinesis.DeleteStreamAsync(new DeleteStreamRequest(_stream));

    public void Dispose() => _kinesis.Dispose();

    [Fact(Timeout = 120_000)]
    public async Task Gateway_AcceptedAndRefusedRequests_LogNeitherPayloadsNorSecrets()
    {
        var payload = "PAYLOAD-" + Guid.NewGuid().ToString("N");
        var apiKey = "KEY-" + Guid.NewGuid().ToString("N");
        var wrongKey = "WRONGKEY-" + Guid.NewGuid().ToString("N");
        var secret = "SECRET-" + Guid.NewGuid().ToString("N");
        var environment = new Dictionary<string, string>(aws.Emulators?.Variables ?? new Dictionary<string, string>())
        {
            ["STREAM_NAME"] = _stream,
            ["GATEWAY_AUTH"] = "apikey",
            ["GATEWAY_API_KEY_SHA256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(apiKey))),
        };
        if (aws.Emulators is not null)
        {
            // The emulators take any secret key: this one is a marker.
            environment["AWS_SECRET_ACCESS_KEY"] = secret;
        }

        using var logs = new StringWriter();
        await using (var function = new ProcessLambdaInvoker(RepositoryPaths.FunctionBootstrap("Gateway"), new LocalFunctionOptions { FunctionName = "Gateway", Timeout = TimeSpan.FromSeconds(60), Environment = environment }, TextWriter.Synchronized(logs)))
        {
            (string Key, string Body, int Status)[] requests =
            [
                (wrongKey, $$$"""{"records":[{"partitionKey":"{{{payload}}}","data":{"v":"{{{payload}}}"}}]}""", 403),
                (apiKey, $$$"""{"records":[{"partitionKey":"{{{payload}}}","data":{"v":"{{{payload}}}"}}]}""", 200),
                (apiKey, $"not json {payload}", 400),
                (apiKey, $$$"""{"records":[{"partitionKey":"{{{payload}}}","data":{"v":"{{{payload}}}"},"colour":"{{{payload}}}"}]}""", 400),
                (apiKey, $$"""{"records":[{"partitionKey":"{{payload}}{{new string('k', 300)}}","data":1}]}""", 400),
                (apiKey, $$"""{"records":[{"partitionKey":"k","dataBase64":"{{payload}}!"}]}""", 400),
            ];
            foreach (var (key, body, status) in requests)
            {
                var request = GatewayFunctionTests.Request(body);
                request.RequestContext!.Authorizer = null;
                request.Headers!["x-api-key"] = key;
                var result = await function.InvokeAsync(JsonSerializer.SerializeToUtf8Bytes(request, LambdaEventsJsonContext.Default.APIGatewayHttpApiV2ProxyRequest));
                Assert.True(result.Succeeded, Encoding.UTF8.GetString(result.Payload.Span));
                var response = JsonSerializer.Deserialize(result.Payload.Span, LambdaEventsJsonContext.Default.APIGatewayHttpApiV2ProxyResponse)!;
                Assert.True(status == response.StatusCode, $"{body}: {response.StatusCode} {response.Body}");
            }
        }

        string text;
        lock (logs)
        {
            text = logs.ToString();
        }

        Assert.Contains("ingest", text, StringComparison.Ordinal);
        foreach (var (name, marker) in new[] { ("a record payload or partition key", payload), ("the API key", apiKey), ("a refused API key", wrongKey), ("the AWS secret key", secret) })
        {
            Assert.False(text.Contains(marker, StringComparison.Ordinal), $"the Gateway logged {name}:\n{string.Join('\n', text.Split('\n').Where(l => l.Contains(marker, StringComparison.Ordinal)).Take(3))}");
        }
    }
}
