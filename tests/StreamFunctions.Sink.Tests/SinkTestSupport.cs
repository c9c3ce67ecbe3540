using System.Net;
using System.Text;
using System.Text.Json;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using StreamFunctions.Aws.Kinesis;
using StreamFunctions.Formats.Compression;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Lambda.Events.Streams;
using StreamFunctions.Lambda.Invocation;
using StreamFunctions.Local.Lambda;
using StreamFunctions.Sink.Buffer;
using StreamFunctions.Testing;
using StreamFunctions.Testing.Kinesis;
using StreamFunctions.Transform;

namespace StreamFunctions.Sink.Tests;

/// <summary>A bucket, a state table and a one-shard stream in the emulators, and ways to read back what the sink wrote.</summary>
internal sealed class SinkEnvironment(LocalAwsFixture aws, string? sharedStream = null) : IAsyncDisposable
{
    public IAmazonS3 S3 { get; } = aws.Clients.CreateS3Client();

    public IAmazonDynamoDB Dynamo { get; } = aws.Clients.CreateDynamoDBClient();

    public KinesisClient Kinesis { get; } = KinesisClient.Create(aws.Settings);

    public string Bucket { get; } = LocalAwsFixture.UniqueName("sfn-sink");

    public string Table { get; } = LocalAwsFixture.UniqueName("sfn-sink-state");

    public string Stream { get; } = sharedStream ?? LocalAwsFixture.UniqueName("sfn-sink-src");

    /// <summary>What the functions logged (for failure messages).</summary>
    public TextWriter Logs => _logs ??= TextWriter.Synchronized(_logText);

    /// <summary>The last lines the functions logged.</summary>
    public string LogTail
    {
        get
        {
            lock (Logs)
            {
                return string.Join('\n', _logText.ToString().Split('\n').TakeLast(30));
            }
        }
    }

    private readonly StringWriter _logText = new();
    private TextWriter? _logs;

    public string Marker { get; } = Path.Combine(Path.GetTempPath(), LocalAwsFixture.UniqueName("sfn-failpoint"));

    public async Task StartAsync(int shards = 1)
    {
        await S3.PutBucketAsync(Bucket);
        await DynamoDbSinkStateStore.CreateTableAsync(Dynamo, Table);
        if (sharedStream is not null)
        {
            return;
        }

        await Kinesis.CreateActiveAsync(Stream, shards);
    }

    public ProcessLambdaInvoker Function(string name, Dictionary<string, string> settings, TimeSpan? timeout = null)
    {
        var environment = new Dictionary<string, string>(aws.Emulators?.Variables ?? new Dictionary<string, string>())
        {
            ["SINK_BUCKET"] = Bucket,
            ["SINK_STATE_TABLE"] = Table,
        };
        foreach (var (key, value) in settings)
        {
            environment[key] = value;
        }

        return new ProcessLambdaInvoker(RepositoryPaths.FunctionBootstrap(name), new LocalFunctionOptions { FunctionName = name, Timeout = timeout ?? TimeSpan.FromSeconds(60), Environment = environment }, Logs);
    }

    /// <summary>Puts JSON records (their text given by <paramref name="json"/>) keyed by record number; returns the last sequence number.</summary>
    public async Task<string> PutAsync(int count, Func<int, string> json, int start = 0)
    {
        var last = string.Empty;
        for (var at = start; at < start + count; at += 500)
        {
            var put = await Kinesis.PutRecordsAsync(new PutRecordsRequest(Stream, [.. Enumerable.Range(at, Math.Min(500, start + count - at))
                .Select(n => new PutRecordsRequestEntry(Encoding.UTF8.GetBytes(json(n)), $"k{n % 17}"))]));
            Assert.Equal(0, put.FailedRecordCount);
            last = put.Records[^1].SequenceNumber!;
        }

        return last;
    }

    public static async Task<string> FlushAsync(ILambdaInvoker function)
    {
        var result = await function.InvokeAsync("""{"action":"flush"}"""u8.ToArray());
        var text = Encoding.UTF8.GetString(result.Payload.Span);
        Assert.True(result.Succeeded, text);
        return text;
    }

    /// <summary>
    /// Invokes <c>{"action":"flush","all":true}</c> until a flush succeeds with nothing left undelivered (a flush that
    /// meets a failing S3 or DynamoDB answers with the error and leaves the rest for the next schedule).
    /// </summary>
    /// <returns>Whether one did within <paramref name="attempts"/>.</returns>
    public static async Task<bool> FlushAllAsync(ILambdaInvoker function, int attempts)
    {
        for (var attempt = 0; attempt < attempts; attempt++)
        {
            var result = await function.InvokeAsync("""{"action":"flush","all":true}"""u8.ToArray());
            if (result.Succeeded)
            {
                using var answer = JsonDocument.Parse(result.Payload);
                if (answer.RootElement.GetProperty("error").ValueKind == JsonValueKind.Null)
                {
                    return true;
                }
            }
        }

        return false;
    }

    public async Task<List<string>> KeysAsync(string prefix)
    {
        var keys = new List<string>();
        string? token = null;
        do
        {
            var page = await S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Bucket, Prefix = prefix, ContinuationToken = token });
            keys.AddRange((page.S3Objects ?? []).Select(o => o.Key));
            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (token is not null);
        return keys;
    }

    public async Task<byte[]> ObjectAsync(string key, CompressionCodec codec = CompressionCodec.None)
    {
        using var response = await S3.GetObjectAsync(Bucket, key);
        using var body = new MemoryStream();
        await response.ResponseStream.CopyToAsync(body);
        body.Position = 0;
        using var decompressed = new MemoryStream();
        using (var reader = CompressionStreams.CreateDecompressor(body, codec))
        {
            await reader.CopyToAsync(decompressed);
        }

        return decompressed.ToArray();
    }

    /// <summary>The lines of every object under a prefix, with the key each came from.</summary>
    public async Task<List<(string Key, string Line)>> LinesAsync(string prefix, CompressionCodec codec = CompressionCodec.None)
    {
        var lines = new List<(string, string)>();
        foreach (var key in await KeysAsync(prefix))
        {
            var text = Encoding.UTF8.GetString(await ObjectAsync(key, codec));
            lines.AddRange(text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => (key, l)));
        }

        return lines;
    }

    public Task<SinkShardState> StateAsync(string shard = "shardId-000000000000") =>
        new DynamoDbSinkStateStore(Dynamo, Table).LoadAsync(Stream, shard);

    /// <summary>Asserts that the record numbers delivered are exactly 0 … <paramref name="count"/> − 1, once each, naming the lost and duplicated ones.</summary>
    public static void AssertExactlyOnce(IEnumerable<int> delivered, int count, string context)
    {
        var numbers = delivered.Order().ToList();
        var duplicated = numbers.GroupBy(n => n).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        var missing = Enumerable.Range(0, count).Except(numbers).ToList();
        Assert.True(duplicated.Count == 0 && missing.Count == 0,
            $"{missing.Count} lost (first {string.Join(",", missing.Take(5))}), {duplicated.Count} duplicated (first {string.Join(",", duplicated.Take(5))}); {context}");
    }

    public static int N(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.GetProperty("n").GetInt32();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var key in await KeysAsync(string.Empty))
        {
            await S3.DeleteObjectAsync(Bucket, key);
        }

        await S3.DeleteBucketAsync(Bucket);
        await Dynamo.DeleteTableAsync(Table);
        if (sharedStream is null)
        {
            await Kinesis.DeleteStreamAsync(new DeleteStreamRequest(Stream));
        }

        File.Delete(Marker);
        S3.Dispose();
        Dynamo.Dispose();
        Kinesis.Dispose();
    }
}

/// <summary>
/// A stand-in for Lambda's Invoke API on loopback: checks that each call is SigV4-signed for the <c>lambda</c>
/// service, then runs the named function's bootstrap and answers as Invoke does (200, with
/// <c>X-Amz-Function-Error</c> when the function failed).
/// </summary>
internal sealed class LoopbackLambdaInvokeApi : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ILambdaInvoker _function;
    private readonly Task _loop;
    private int _calls;
    private int _unsigned;

    public LoopbackLambdaInvokeApi(ILambdaInvoker function)
    {
        _function = function;
        var port = LoopbackPorts.Free();
        Endpoint = new Uri($"http://127.0.0.1:{port}/");
        _listener.Prefixes.Add(Endpoint.ToString());
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public Uri Endpoint { get; }

    public int Calls => Volatile.Read(ref _calls);

    public int Unsigned => Volatile.Read(ref _unsigned);

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
    }

    private async Task LoopAsync()
    {
        while (true)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        Interlocked.Increment(ref _calls);
        var authorization = context.Request.Headers["Authorization"] ?? string.Empty;
        if (!authorization.StartsWith("AWS4-HMAC-SHA256 Credential=", StringComparison.Ordinal) || !authorization.Contains("/lambda/aws4_request", StringComparison.Ordinal)
            || !context.Request.Url!.AbsolutePath.StartsWith("/2015-03-31/functions/", StringComparison.Ordinal) || context.Request.HttpMethod != "POST")
        {
            Interlocked.Increment(ref _unsigned);
            context.Response.StatusCode = 403;
            context.Response.AddHeader("x-amzn-ErrorType", "InvalidSignatureException");
            context.Response.Close();
            return;
        }

        using var body = new MemoryStream();
        await context.Request.InputStream.CopyToAsync(body);
        var result = await _function.InvokeAsync(body.ToArray());
        context.Response.StatusCode = 200;
        context.Response.AddHeader("x-amzn-RequestId", result.RequestId);
        if (result.FunctionError is { } error)
        {
            context.Response.AddHeader("X-Amz-Function-Error", error);
        }

        await context.Response.OutputStream.WriteAsync(result.Payload);
        context.Response.Close();
    }
}

/// <summary>Sinks for <see cref="S3Sink.EncodeAsync(StreamRecordBatch, CancellationToken)"/> alone: S3 unreachable, state in memory, time fixed.</summary>
internal static class OfflineSink
{
    public static S3Sink Create(S3SinkOptions options, IRecordTransform? transform, DateTimeOffset now, int blockBytes = 512 * 1024) => new(
        new AmazonS3Client(new BasicAWSCredentials("unused", "unused"), new AmazonS3Config { ServiceURL = "http://127.0.0.1:9" }),
        new InMemorySinkStateStore(),
        options,
        transform,
        new ManualTimeProvider(now))
    {
        BlockBytes = blockBytes,
    };
}

/// <summary>
/// A bucket in the folder store of <c>sfn run</c> (S3's key rules: at most 1,024 bytes of UTF-8; a file system's
/// NAME_MAX a path segment), a sink over it with its state in memory and a fixed clock, and the lines written.
/// </summary>
internal sealed class FolderSinkStore : IAsyncDisposable
{
    public const string Bucket = "bucket";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "sfn-sink-folder-" + Guid.NewGuid().ToString("N"));
    private readonly Local.Emulators.FolderS3Server _server;

    private FolderSinkStore()
    {
        _server = new Local.Emulators.FolderS3Server(_root);
        _server.Start();
        S3 = new Aws.AwsClientFactory(Aws.AwsSettings.FromEnvironment(Aws.EnvironmentVariables.From(new Dictionary<string, string>
        {
            ["AWS_ENDPOINT_URL_S3"] = _server.Endpoint.ToString(),
            ["AWS_ACCESS_KEY_ID"] = "local",
            ["AWS_SECRET_ACCESS_KEY"] = "local",
            ["AWS_REGION"] = "us-east-1",
        }))).CreateS3Client();
    }

    public IAmazonS3 S3 { get; }

    public static async Task<FolderSinkStore> CreateAsync()
    {
        var store = new FolderSinkStore();
        await store.S3.PutBucketAsync(Bucket);
        return store;
    }

    public S3Sink Sink(S3SinkOptions options, DateTimeOffset now) => new(S3, new InMemorySinkStateStore(), options, transform: null, new ManualTimeProvider(now));

    /// <summary>The lines of every object under a prefix, with the key each came from.</summary>
    public async Task<List<(string Key, string Line)>> LinesAsync(string prefix)
    {
        var lines = new List<(string, string)>();
        var page = await S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Bucket, Prefix = prefix });
        foreach (var key in (page.S3Objects ?? []).Select(o => o.Key))
        {
            using var response = await S3.GetObjectAsync(Bucket, key);
            using var reader = new StreamReader(response.ResponseStream, Encoding.UTF8);
            lines.AddRange((await reader.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => (key, l)));
        }

        return lines;
    }

    /// <summary>The keys under a prefix.</summary>
    public async Task<List<string>> KeysAsync(string prefix) =>
        [.. ((await S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Bucket, Prefix = prefix })).S3Objects ?? []).Select(o => o.Key)];

    public async ValueTask DisposeAsync()
    {
        S3.Dispose();
        await _server.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }
}

/// <summary>
/// Kinesis events of given records, on shard 0 of <c>clicks</c>, sequence numbers from 49,600,000,000,000,000
/// (plus <c>first</c>, for the events after the first one).
/// </summary>
internal static class KinesisEvents
{
    public static Lambda.Events.Kinesis.KinesisEvent Of(IEnumerable<string> records, DateTimeOffset arrival, int first = 0) => new()
    {
        Records = [.. records.Select((r, i) => new Lambda.Events.Kinesis.KinesisEventRecord
        {
            EventSource = "aws:kinesis",
            EventSourceArn = "arn:aws:kinesis:us-east-1:123456789012:stream/clicks",
            EventId = $"shardId-000000000000:{49_600_000_000_000_000L + first + i}",
            Kinesis = new Lambda.Events.Kinesis.KinesisRecord
            {
                PartitionKey = "pk",
                SequenceNumber = (49_600_000_000_000_000L + first + i).ToString(System.Globalization.CultureInfo.InvariantCulture),
                Data = Encoding.UTF8.GetBytes(r),
                ApproximateArrivalTimestamp = arrival,
            },
        })],
    };
}
