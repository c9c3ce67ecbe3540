using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amazon.S3;
using Amazon.SQS;
using StreamFunctions.Aws;
using StreamFunctions.BatchProcessing;
using StreamFunctions.Testing;

namespace StreamFunctions.FailureHandler.Tests;

/// <summary>
/// The archive against the S3 emulator and the notifications through AWSSDK.SQS to a loopback endpoint
/// that answers SendMessage in SQS's JSON protocol (no SQS emulator that speaks it installs here): the
/// request is the SDK's real, signed one, and the SDK checks the answer's MD5 of the body.
/// </summary>
[Collection(LocalAwsCollection.Name)]
[Trait(TestCategories.Category, TestCategories.Integration)]
public sealed class SqsArchiveNotificationsTests(LocalAwsFixture aws) : IAsyncLifetime, IDisposable
{
    private readonly IAmazonS3 _s3 = aws.Clients.CreateS3Client();
    private readonly string _bucket = LocalAwsFixture.UniqueName("sfn-notify");
    private readonly SendMessageEndpoint _sqsEndpoint = new();

    public async Task InitializeAsync() => await _s3.PutBucketAsync(_bucket);

    public async Task DisposeAsync()
    {
        var listed = await _s3.ListObjectsV2Async(new Amazon.S3.Model.ListObjectsV2Request { BucketName = _bucket });
        foreach (var o in listed.S3Objects ?? [])
        {
            await _s3.DeleteObjectAsync(_bucket, o.Key);
        }

        await _s3.DeleteBucketAsync(_bucket);
    }

    public void Dispose()
    {
        _s3.Dispose();
        _sqsEndpoint.Dispose();
    }

    [Fact]
    public async Task ArchiveAsync_StoresTheRecordThenSendsOneMessageNamingItsObject()
    {
        using var sqs = SqsClient();
        var archive = new S3PoisonRecordArchive(_s3, _bucket, "dlq");
        var notifying = new SqsArchiveNotifications(archive, sqs, _sqsEndpoint.QueueUrl("failures"));
        var record = Record("secret payload");

        await notifying.ArchiveAsync(record);

        var message = Assert.Single(_sqsEndpoint.Received);
        Assert.Equal("AmazonSQS.SendMessage", message.Target);
        Assert.StartsWith("AWS4-HMAC-SHA256 Credential=", message.Authorization, StringComparison.Ordinal);
        using var body = JsonDocument.Parse(message.Body.GetProperty("MessageBody").GetString()!);
        var key = archive.KeyOf(record);
        Assert.Equal(_bucket, body.RootElement.GetProperty("bucket").GetString());
        Assert.Equal(key, body.RootElement.GetProperty("key").GetString());
        Assert.Equal("archived", body.RootElement.GetProperty("status").GetString());
        Assert.Equal("System.FormatException", body.RootElement.GetProperty("errorType").GetString());
        Assert.Equal(14, body.RootElement.GetProperty("payloadBytes").GetInt32());
        Assert.DoesNotContain("secret", message.Body.GetProperty("MessageBody").GetString()!, StringComparison.Ordinal);
        Assert.False(message.Body.TryGetProperty("MessageGroupId", out _));

        using var stored = await _s3.GetObjectAsync(_bucket, key);
        using var reader = new StreamReader(stored.ResponseStream);
        using var line = JsonDocument.Parse(await reader.ReadToEndAsync());
        Assert.Equal("secret payload", Encoding.UTF8.GetString(line.RootElement.GetProperty("payload").GetBytesFromBase64()));
    }

    [Fact]
    public async Task ArchiveAsync_FifoQueue_DeduplicatesByObjectKeyAndGroupsByPartition()
    {
        using var sqs = SqsClient();
        var archive = new S3PoisonRecordArchive(_s3, _bucket, "dlq");
        var notifying = new SqsArchiveNotifications(archive, sqs, _sqsEndpoint.QueueUrl("failures.fifo"));

        await notifying.ArchiveAsync(Record("a"));
        await notifying.ArchiveAsync(Record("a"));

        Assert.Equal(2, _sqsEndpoint.Received.Count);
        var ids = _sqsEndpoint.Received.Select(m => m.Body.GetProperty("MessageDeduplicationId").GetString()).Distinct().ToList();
        var id = Assert.Single(ids);
        Assert.Equal(64, id!.Length);
        Assert.All(_sqsEndpoint.Received, m => Assert.Equal(
            "arn:aws:kinesis:us-east-1:123456789012:stream/clicks/shardId-000000000004", m.Body.GetProperty("MessageGroupId").GetString()));
    }

    [Fact]
    public async Task ArchiveAsync_SendFails_FailsAfterStoringSoARetryAnnouncesTheSameObject()
    {
        using var sqs = SqsClient();
        var archive = new S3PoisonRecordArchive(_s3, _bucket, "dlq");
        var notifying = new SqsArchiveNotifications(archive, sqs, _sqsEndpoint.QueueUrl("failures"));
        _sqsEndpoint.RejectNext(1, "AWS.SimpleQueueService.NonExistentQueue", HttpStatusCode.BadRequest);
        var record = Record("kept");

        await Assert.ThrowsAsync<Amazon.SQS.Model.QueueDoesNotExistException>(() => notifying.ArchiveAsync(record));
        Assert.Empty(_sqsEndpoint.Received);
        using (await _s3.GetObjectAsync(_bucket, archive.KeyOf(record)))
        {
        }

        await notifying.ArchiveAsync(record);
        Assert.Single(_sqsEndpoint.Received);
    }

    private static PoisonRecord Record(string payload) => new(
        "arn:aws:kinesis:us-east-1:123456789012:stream/clicks", "shardId-000000000004", "4959", "user-1", Encoding.UTF8.GetBytes(payload),
        "System.FormatException", "bad", "Poison", 1, "3", new DateTimeOffset(2026, 11, 23, 7, 0, 0, TimeSpan.Zero));

    private IAmazonSQS SqsClient() => new AwsClientFactory(AwsSettings.FromEnvironment(EnvironmentVariables.From(new Dictionary<string, string>
    {
        ["AWS_ENDPOINT_URL_SQS"] = _sqsEndpoint.BaseUrl,
        ["AWS_REGION"] = "us-east-1",
        ["AWS_ACCESS_KEY_ID"] = "test",
        ["AWS_SECRET_ACCESS_KEY"] = "test",
    }))).CreateSqsClient();

    internal sealed record SentMessage(string? Target, string? Authorization, JsonElement Body);

    /// <summary>SendMessage in SQS's JSON protocol (awsJson1_0) on a loopback port.</summary>
    private sealed class SendMessageEndpoint : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly ConcurrentQueue<SentMessage> _received = new();
        private int _rejections;
        private string _rejectionType = string.Empty;
        private HttpStatusCode _rejectionStatus;

        public SendMessageEndpoint()
        {
            BaseUrl = $"http://127.0.0.1:{LoopbackPorts.Free()}/";
            _listener.Prefixes.Add(BaseUrl);
            _listener.Start();
            _ = Task.Run(ServeAsync);
        }

        public string BaseUrl { get; }

        public IReadOnlyList<SentMessage> Received => [.. _received];

        public string QueueUrl(string name) => BaseUrl + "123456789012/" + name;

        public void RejectNext(int count, string type, HttpStatusCode status)
        {
            _rejectionType = type;
            _rejectionStatus = status;
            Volatile.Write(ref _rejections, count);
        }

        public void Dispose() => _listener.Close();

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }

                using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
                var text = await reader.ReadToEndAsync();
                byte[] answer;
                if (Interlocked.Decrement(ref _rejections) >= 0)
                {
                    context.Response.StatusCode = (int)_rejectionStatus;
                    context.Response.AddHeader("x-amzn-query-error", _rejectionType + ";Sender");
                    answer = Encoding.UTF8.GetBytes($$"""{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does not exist."}""");
                }
                else
                {
                    using var request = JsonDocument.Parse(text);
                    _received.Enqueue(new SentMessage(context.Request.Headers["X-Amz-Target"], context.Request.Headers["Authorization"], request.RootElement.Clone()));
#pragma warning disable CA5351 // SQS's MD5OfMessageBody, checked by the SDK.
                    var md5 = Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(request.RootElement.GetProperty("MessageBody").GetString()!)));
#pragma warning restore CA5351
                    answer = Encoding.UTF8.GetBytes($$"""{"MessageId":"{{Guid.NewGuid()}}","MD5OfMessageBody":"{{md5}}"}""");
                }

                context.Response.ContentType = "application/x-amz-json-1.0";
                await context.Response.OutputStream.WriteAsync(answer);
                context.Response.Close();
            }
        }
    }
}
