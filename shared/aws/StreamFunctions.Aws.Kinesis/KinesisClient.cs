using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using StreamFunctions.Aws.Kinesis.Exceptions;
using StreamFunctions.Aws.Kinesis.Internal;
using StreamFunctions.Aws.Signing;
using StreamFunctions.KinesisApi;
using StreamFunctions.KinesisApi.Exceptions;
using StreamFunctions.KinesisApi.Model;

namespace StreamFunctions.Aws.Kinesis;

/// <summary>
/// Kinesis Data Streams over HTTP: the JSON 1.1 protocol (<c>X-Amz-Target: Kinesis_20131202.*</c>),
/// signed with SigV4, against AWS, LocalStack or an emulator. Errors are the typed
/// <see cref="KinesisException"/> subtypes. Retries use exponential backoff with full jitter:
/// reads are retried on any retryable error (throttling, server errors, timeouts, broken
/// connections); writes only when Kinesis rejected them (throttling, limits) or the connection
/// was refused, never after an unknown outcome (<see cref="KinesisRequestOutcomeUnknownException"/>).
/// PutRecords' per-record failures are returned, not retried: that is the caller's decision.
/// </summary>
public sealed class KinesisClient : IKinesisApi, IKinesisStreamConsumers, IDisposable
{
    private static readonly MediaTypeHeaderValue JsonContentType = new("application/x-amz-json-1.1");

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly Uri _endpoint;
    private readonly KinesisClientOptions _options;
    private readonly TimeProvider _time;
    private readonly Random _random;

    /// <summary>Creates a client over an <see cref="HttpClient"/> whose handler signs requests (see <see cref="SigV4SigningHandler"/>).</summary>
    /// <param name="http">The HTTP client; not disposed by this client.</param>
    /// <param name="endpoint">The Kinesis endpoint, e.g. <c>https://kinesis.eu-west-1.amazonaws.com</c>.</param>
    /// <param name="options">Retries and timeouts; defaults when null.</param>
    /// <param name="time">The clock for backoff delays and timeouts.</param>
    /// <param name="random">The jitter source; a shared one when null.</param>
    public KinesisClient(HttpClient http, Uri endpoint, KinesisClientOptions? options = null, TimeProvider? time = null, Random? random = null)
        : this(http, ownsHttp: false, endpoint, options, time, random)
    {
    }

    private KinesisClient(HttpClient http, bool ownsHttp, Uri endpoint, KinesisClientOptions? options, TimeProvider? time, Random? random)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(endpoint);
        if (!endpoint.IsAbsoluteUri)
        {
            throw new ArgumentException($"The Kinesis endpoint '{endpoint}' must be an absolute URI.", nameof(endpoint));
        }

        _options = options ?? new KinesisClientOptions();
        _options.Validate();
        _http = http;
        _ownsHttp = ownsHttp;
        _endpoint = endpoint;
        _time = time ?? TimeProvider.System;
        _random = random ?? Random.Shared;
    }

    /// <summary>The endpoint requests go to.</summary>
    public Uri Endpoint => _endpoint;

    /// <summary>
    /// Creates a client from resolved AWS settings: the Kinesis endpoint
    /// (<c>AWS_ENDPOINT_URL_KINESIS</c>, <c>AWS_ENDPOINT_URL</c>, shared config, else AWS's
    /// regional endpoint), the region and the credentials.
    /// </summary>
    /// <param name="settings">The resolved settings.</param>
    /// <param name="options">Retries and timeouts; defaults when null.</param>
    /// <param name="time">The clock.</param>
    /// <returns>A client that owns its HTTP connection pool.</returns>
    public static KinesisClient Create(AwsSettings settings, KinesisClientOptions? options = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var endpoint = settings.GetEndpoint(AwsService.Kinesis) ?? new Uri($"https://kinesis.{settings.Region}.amazonaws.com");
        var handler = new SigV4SigningHandler(settings.CredentialsFor(AwsService.Kinesis), new SigV4Scope(settings.Region, "kinesis"), time);
        var http = new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        return new KinesisClient(http, ownsHttp: true, endpoint, options, time, random: null);
    }

    /// <inheritdoc />
    public Task CreateStreamAsync(CreateStreamRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = KinesisJson.Write(w =>
        {
            w.WriteString("StreamName", request.StreamName);
            w.WriteNumber("ShardCount", request.ShardCount);
        });
        return SendAsync(KinesisOperation.CreateStream, body, static (_, _) => true, cancellationToken);
    }

    /// <inheritdoc />
    public Task DeleteStreamAsync(DeleteStreamRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = KinesisJson.Write(w =>
        {
            KinesisJson.WriteStream(w, request.StreamName);
            if (request.EnforceConsumerDeletion)
            {
                w.WriteBoolean("EnforceConsumerDeletion", true);
            }
        });
        return SendAsync(KinesisOperation.DeleteStream, body, static (_, _) => true, cancellationToken);
    }

    /// <inheritdoc />
    public Task<StreamDescriptionSummary> DescribeStreamSummaryAsync(string streamName, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(streamName);
        var body = KinesisJson.Write(w => KinesisJson.WriteStream(w, streamName));
        return SendAsync(KinesisOperation.DescribeStreamSummary, body, static (root, op) =>
        {
            var summary = root.TryGetProperty("StreamDescriptionSummary", out var s) ? s : throw KinesisJson.Malformed(op, "has no StreamDescriptionSummary");
            return new StreamDescriptionSummary(
                KinesisJson.RequiredString(summary, "StreamName", op),
                KinesisJson.RequiredString(summary, "StreamARN", op),
                KinesisWireNames.ParseStreamStatus(KinesisJson.RequiredString(summary, "StreamStatus", op)),
                KinesisJson.RequiredInt(summary, "RetentionPeriodHours", op),
                KinesisJson.Timestamp(summary, "StreamCreationTimestamp", op),
                KinesisJson.RequiredInt(summary, "OpenShardCount", op),
                KinesisJson.Encryption(summary));
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<ListShardsResponse> ListShardsAsync(ListShardsRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.NextToken is not null && (request.StreamName is not null || request.ExclusiveStartShardId is not null || request.ShardFilter is not null))
        {
            // Kinesis rejects these together with NextToken (InvalidArgumentException); say so before the round trip.
            throw new KinesisInvalidArgumentException("ListShards: NextToken cannot be combined with StreamName, ExclusiveStartShardId or ShardFilter; pass only NextToken (and MaxResults).");
        }

        var body = KinesisJson.Write(w =>
        {
            if (request.StreamName is not null)
            {
                KinesisJson.WriteStream(w, request.StreamName);
            }

            KinesisJson.WriteIfNotNull(w, "NextToken", request.NextToken);
            KinesisJson.WriteIfNotNull(w, "ExclusiveStartShardId", request.ExclusiveStartShardId);
            if (request.MaxResults is { } max)
            {
                w.WriteNumber("MaxResults", max);
            }

            if (request.ShardFilter is { } filter)
            {
                w.WriteStartObject("ShardFilter");
                w.WriteString("Type", filter.Type.ToWire());
                KinesisJson.WriteIfNotNull(w, "ShardId", filter.ShardId);
                if (filter.Timestamp is { } at)
                {
                    KinesisJson.WriteTimestamp(w, "Timestamp", at);
                }

                w.WriteEndObject();
            }
        });
        return SendAsync(KinesisOperation.ListShards, body, static (root, op) =>
        {
            var shards = new List<Shard>();
            if (root.TryGetProperty("Shards", out var list) && list.ValueKind == JsonValueKind.Array)
            {
                foreach (var shard in list.EnumerateArray())
                {
                    shards.Add(KinesisJson.Shard(shard, op));
                }
            }

            return new ListShardsResponse(shards, KinesisJson.OptionalString(root, "NextToken"));
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<PutRecordResponse> PutRecordAsync(PutRecordRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = KinesisJson.Write(w =>
        {
            KinesisJson.WriteStream(w, request.StreamName);
            w.WriteBase64String("Data", request.Data.Span);
            w.WriteString("PartitionKey", request.PartitionKey);
            KinesisJson.WriteIfNotNull(w, "ExplicitHashKey", request.ExplicitHashKey);
            KinesisJson.WriteIfNotNull(w, "SequenceNumberForOrdering", request.SequenceNumberForOrdering);
        });
        return SendAsync(KinesisOperation.PutRecord, body, static (root, op) => new PutRecordResponse(
            KinesisJson.RequiredString(root, "ShardId", op),
            KinesisJson.RequiredString(root, "SequenceNumber", op)), cancellationToken);
    }

    /// <inheritdoc />
    public Task<PutRecordsResponse> PutRecordsAsync(PutRecordsRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = KinesisJson.Write(w =>
        {
            KinesisJson.WriteStream(w, request.StreamName);
            w.WriteStartArray("Records");
            foreach (var record in request.Records)
            {
                w.WriteStartObject();
                w.WriteBase64String("Data", record.Data.Span);
                w.WriteString("PartitionKey", record.PartitionKey);
                KinesisJson.WriteIfNotNull(w, "ExplicitHashKey", record.ExplicitHashKey);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        });
        var expected = request.Records.Count;
        return SendAsync(KinesisOperation.PutRecords, body, (root, op) =>
        {
            var entries = new List<PutRecordsResultEntry>(expected);
            if (root.TryGetProperty("Records", out var list) && list.ValueKind == JsonValueKind.Array)
            {
                foreach (var entry in list.EnumerateArray())
                {
                    entries.Add(KinesisJson.OptionalString(entry, "ErrorCode") is { } code
                        ? new PutRecordsResultEntry(null, null, code, KinesisJson.OptionalString(entry, "ErrorMessage"))
                        : new PutRecordsResultEntry(KinesisJson.RequiredString(entry, "ShardId", op), KinesisJson.RequiredString(entry, "SequenceNumber", op)));
                }
            }

            if (entries.Count != expected)
            {
                // Results are matched to requests by position: a count mismatch would misattribute them.
                throw KinesisJson.Malformed(op, $"has {entries.Count} results for {expected} records");
            }

            var failed = root.TryGetProperty("FailedRecordCount", out var f) && f.TryGetInt32(out var n) ? n : entries.Count(static e => !e.Succeeded);
            return new PutRecordsResponse(failed, entries);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<GetShardIteratorResponse> GetShardIteratorAsync(GetShardIteratorRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = KinesisJson.Write(w =>
        {
            KinesisJson.WriteStream(w, request.StreamName);
            w.WriteString("ShardId", request.ShardId);
            w.WriteString("ShardIteratorType", request.ShardIteratorType.ToWire());
            KinesisJson.WriteIfNotNull(w, "StartingSequenceNumber", request.StartingSequenceNumber);
            if (request.Timestamp is { } at)
            {
                KinesisJson.WriteTimestamp(w, "Timestamp", at);
            }
        });
        return SendAsync(KinesisOperation.GetShardIterator, body, static (root, op) =>
            new GetShardIteratorResponse(KinesisJson.RequiredString(root, "ShardIterator", op)), cancellationToken);
    }

    /// <inheritdoc />
    public Task<GetRecordsResponse> GetRecordsAsync(GetRecordsRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = KinesisJson.Write(w =>
        {
            w.WriteString("ShardIterator", request.ShardIterator);
            if (request.Limit is { } limit)
            {
                w.WriteNumber("Limit", limit);
            }
        });
        return SendAsync(KinesisOperation.GetRecords, body, static (root, op) =>
        {
            var records = new List<KinesisRecord>();
            if (root.TryGetProperty("Records", out var list) && list.ValueKind == JsonValueKind.Array)
            {
                foreach (var record in list.EnumerateArray())
                {
                    var sequence = KinesisJson.RequiredString(record, "SequenceNumber", op);
                    if (!record.TryGetProperty("Data", out var data) || !data.TryGetBytesFromBase64(out var bytes))
                    {
                        throw KinesisJson.Malformed(op, $"has record {sequence} without base64 Data");
                    }

                    records.Add(new KinesisRecord(
                        sequence,
                        KinesisJson.Timestamp(record, "ApproximateArrivalTimestamp", op),
                        bytes,
                        KinesisJson.RequiredString(record, "PartitionKey", op),
                        KinesisJson.Encryption(record)));
                }
            }

            List<ChildShard>? children = null;
            if (root.TryGetProperty("ChildShards", out var childList) && childList.ValueKind == JsonValueKind.Array)
            {
                children = [.. childList.EnumerateArray().Select(c => KinesisJson.ChildShard(c, op))];
            }

            var behind = root.TryGetProperty("MillisBehindLatest", out var m) && m.TryGetInt64(out var ms) ? ms : 0;
            return new GetRecordsResponse(records, KinesisJson.OptionalString(root, "NextShardIterator"), behind, children);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task SplitShardAsync(SplitShardRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = KinesisJson.Write(w =>
        {
            KinesisJson.WriteStream(w, request.StreamName);
            w.WriteString("ShardToSplit", request.ShardToSplit);
            w.WriteString("NewStartingHashKey", HashKeys.Format(request.NewStartingHashKey));
        });
        return SendAsync(KinesisOperation.SplitShard, body, static (_, _) => true, cancellationToken);
    }

    /// <inheritdoc />
    public Task MergeShardsAsync(MergeShardsRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = KinesisJson.Write(w =>
        {
            KinesisJson.WriteStream(w, request.StreamName);
            w.WriteString("ShardToMerge", request.ShardToMerge);
            w.WriteString("AdjacentShardToMerge", request.AdjacentShardToMerge);
        });
        return SendAsync(KinesisOperation.MergeShards, body, static (_, _) => true, cancellationToken);
    }

    /// <inheritdoc />
    public Task<UpdateShardCountResponse> UpdateShardCountAsync(UpdateShardCountRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = KinesisJson.Write(w =>
        {
            KinesisJson.WriteStream(w, request.StreamName);
            w.WriteNumber("TargetShardCount", request.TargetShardCount);
            w.WriteString("ScalingType", "UNIFORM_SCALING");
        });
        return SendAsync(KinesisOperation.UpdateShardCount, body, static (root, op) => new UpdateShardCountResponse(
            KinesisJson.RequiredString(root, "StreamName", op),
            KinesisJson.RequiredInt(root, "CurrentShardCount", op),
            KinesisJson.RequiredInt(root, "TargetShardCount", op)), cancellationToken);
    }

    /// <inheritdoc />
    public Task<StreamConsumer> RegisterStreamConsumerAsync(string streamArn, string consumerName, CancellationToken cancellationToken = default)
    {
        var body = ConsumerBody(streamArn, consumerName);
        return SendAsync(KinesisOperation.RegisterStreamConsumer, body, static (root, op) =>
            KinesisJson.Consumer(root.TryGetProperty("Consumer", out var c) ? c : throw KinesisJson.Malformed(op, "has no Consumer"), op), cancellationToken);
    }

    /// <inheritdoc />
    public Task<StreamConsumer> DescribeStreamConsumerAsync(string streamArn, string consumerName, CancellationToken cancellationToken = default)
    {
        var body = ConsumerBody(streamArn, consumerName);
        return SendAsync(KinesisOperation.DescribeStreamConsumer, body, static (root, op) =>
            KinesisJson.Consumer(root.TryGetProperty("ConsumerDescription", out var c) ? c : throw KinesisJson.Malformed(op, "has no ConsumerDescription"), op), cancellationToken);
    }

    /// <inheritdoc />
    public Task DeregisterStreamConsumerAsync(string streamArn, string consumerName, CancellationToken cancellationToken = default)
    {
        var body = ConsumerBody(streamArn, consumerName);
        return SendAsync(KinesisOperation.DeregisterStreamConsumer, body, static (_, _) => true, cancellationToken);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    private static byte[] ConsumerBody(string streamArn, string consumerName)
    {
        ArgumentException.ThrowIfNullOrEmpty(streamArn);
        ArgumentException.ThrowIfNullOrEmpty(consumerName);
        return KinesisJson.Write(w =>
        {
            w.WriteString("StreamARN", streamArn);
            w.WriteString("ConsumerName", consumerName);
        });
    }

    private async Task<T> SendAsync<T>(KinesisOperation operation, byte[] body, Func<JsonElement, string, T> parse, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            Exception failure;
            bool retryable;
            using (var attemptTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                attemptTimeout.CancelAfter(_options.AttemptTimeout);
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, _endpoint) { Content = new ByteArrayContent(body) };
                    request.Content.Headers.ContentType = JsonContentType;
                    request.Headers.TryAddWithoutValidation("X-Amz-Target", operation.Target);
                    using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, attemptTimeout.Token).ConfigureAwait(false);
                    var bytes = await response.Content.ReadAsByteArrayAsync(attemptTimeout.Token).ConfigureAwait(false);
                    if (response.IsSuccessStatusCode)
                    {
                        return Parse(operation, bytes, parse);
                    }

                    var error = KinesisErrors.FromResponse(
                        operation.Name,
                        response.StatusCode,
                        bytes,
                        Header(response, "x-amzn-ErrorType"),
                        Header(response, "x-amzn-RequestId") ?? Header(response, "x-amz-request-id"));
                    (failure, retryable) = Classify(operation, error);
                }
                catch (OperationCanceledException timeout) when (!cancellationToken.IsCancellationRequested)
                {
                    (failure, retryable) = Unknown(operation, $"no response within {_options.AttemptTimeout.TotalSeconds:0.###} s", timeout);
                }
                catch (HttpRequestException transport) when (IsConnectionRefused(transport))
                {
                    // Nothing reached Kinesis: any call may be retried.
                    failure = new KinesisServiceException("ConnectionRefused", $"Kinesis {operation.Name}: cannot connect to {_endpoint}: {transport.Message}", isRetryable: true, transport);
                    retryable = true;
                }
                catch (HttpRequestException transport)
                {
                    (failure, retryable) = Unknown(operation, $"the connection to {_endpoint} failed: {transport.Message}", transport);
                }
            }

            if (!retryable || attempt >= _options.MaxAttempts)
            {
                throw failure;
            }

            await Task.Delay(Backoff(attempt), _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Full jitter: a uniformly random delay in [0, min(MaxDelay, BaseDelay × 2^(attempt-1))).</summary>
    internal TimeSpan Backoff(int attempt)
    {
        var ceiling = Math.Min(_options.MaxDelay.TotalMilliseconds, _options.BaseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1));
        return TimeSpan.FromMilliseconds(_random.NextDouble() * ceiling);
    }

    private static (Exception Failure, bool Retryable) Classify(KinesisOperation operation, KinesisException error)
    {
        if (!error.IsRetryable)
        {
            return (error, false);
        }

        if (KinesisErrors.IsRejection(error) || operation.IsIdempotent)
        {
            return (error, true);
        }

        // A server error on a write: Kinesis may or may not have applied it.
        return (new KinesisRequestOutcomeUnknownException(
            operation.Name,
            $"Kinesis {operation.Name} failed with {error.ErrorCode} (HTTP {error.StatusCode}); it may or may not have been applied, so it was not retried.",
            error) { StatusCode = error.StatusCode, RequestId = error.RequestId }, false);
    }

    private static (Exception Failure, bool Retryable) Unknown(KinesisOperation operation, string what, Exception inner) =>
        operation.IsIdempotent
            ? (new KinesisServiceException("RequestFailed", $"Kinesis {operation.Name}: {what}.", isRetryable: true, inner), true)
            : (new KinesisRequestOutcomeUnknownException(operation.Name, $"Kinesis {operation.Name}: {what}; it may or may not have been applied, so it was not retried.", inner), false);

    private static bool IsConnectionRefused(HttpRequestException error) =>
        error.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused }
        || error.HttpRequestError == HttpRequestError.ConnectionError && error.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostNotFound };

    private static T Parse<T>(KinesisOperation operation, byte[] bytes, Func<JsonElement, string, T> parse)
    {
        try
        {
            using var document = JsonDocument.Parse(bytes.Length == 0 ? "{}"u8.ToArray() : bytes);
            return parse(document.RootElement, operation.Name);
        }
        catch (JsonException error)
        {
            throw new KinesisProtocolException(operation.Name, $"The Kinesis {operation.Name} response is not JSON: {error.Message}", error);
        }
        catch (FormatException error)
        {
            throw new KinesisProtocolException(operation.Name, $"The Kinesis {operation.Name} response has a malformed value: {error.Message}", error);
        }
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}
