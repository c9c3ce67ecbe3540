using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using StreamFunctions.Lambda.Events.ApiGateway;
using StreamFunctions.Producers;

namespace StreamFunctions.Gateway;

/// <summary>Options of <see cref="GatewayService"/>.</summary>
public sealed class GatewayOptions
{
    /// <summary>How long an idempotency claim blocks others if its request dies before finishing (should exceed the function's timeout).</summary>
    public TimeSpan IdempotencyInProgressTimeout { get; init; } = TimeSpan.FromMinutes(15);
}

/// <summary>
/// The producer gateway: one HTTP request (API Gateway HTTP API or Function URL, payload format 2.0) in,
/// the records written through an <see cref="IRecordProducer"/>, and a PutRecords-like answer out:
/// <c>200 {"failedRecordCount":n,"records":[{"shardId","sequenceNumber"}|{"partition","offset"}|{"errorCode","errorMessage"}]}</c>,
/// one entry per request record in order; a record answered from the idempotency store has
/// <c>"duplicate":true</c>. A request that breaks a rule gets a 4xx <c>{"message","errors":[{"recordIndex","rule","message"}]}</c>
/// and nothing of it is written.
/// </summary>
public sealed class GatewayService
{
    private readonly IRecordProducer _producer;
    private readonly GatewayAuthorizer _authorizer;
    private readonly IIdempotencyStore? _idempotency;
    private readonly GatewayOptions _options;

    /// <summary>Creates the gateway.</summary>
    /// <param name="producer">Where records go.</param>
    /// <param name="authorizer">Who may call.</param>
    /// <param name="idempotency">The idempotency store; without one, requests with idempotency keys are refused.</param>
    /// <param name="options">Options.</param>
    public GatewayService(IRecordProducer producer, GatewayAuthorizer authorizer, IIdempotencyStore? idempotency = null, GatewayOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(producer);
        ArgumentNullException.ThrowIfNull(authorizer);
        _producer = producer;
        _authorizer = authorizer;
        _idempotency = idempotency;
        _options = options ?? new GatewayOptions();
    }

    /// <summary>Handles one request.</summary>
    /// <param name="request">The request.</param>
    /// <param name="deadline">When retries must stop (the function's remaining time, less a margin to answer).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The response.</returns>
    public async Task<APIGatewayHttpApiV2ProxyResponse> HandleAsync(APIGatewayHttpApiV2ProxyRequest request, DateTimeOffset deadline, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_authorizer.Check(request) is { } denied)
        {
            return Error(denied.StatusCode, denied.Message, []);
        }

        var method = request.RequestContext?.Http?.Method;
        if (method is not null && !string.Equals(method, "POST", StringComparison.OrdinalIgnoreCase))
        {
            return Error(405, $"Use POST to send records, not {method}.", []);
        }

        IReadOnlyList<IngestRecord> records;
        try
        {
            records = IngestRequestReader.Read(BodyOf(request), IngestRequestReader.Header(request.Headers, "content-type"), request.Headers, request.QueryStringParameters, request.RawQueryString);
            for (var i = 0; _idempotency is null && i < records.Count; i++)
            {
                if (records[i].IdempotencyKey is not null)
                {
                    throw new IngestRequestException(400, [new IngestError(i, "idempotencyKey.disabled", "This gateway has no idempotency store (IDEMPOTENCY_TABLE): send records without idempotencyKey, or enable it.")]);
                }
            }
        }
        catch (IngestRequestException e)
        {
            return Error(e.StatusCode, e.Message, e.Errors);
        }

        var results = await WriteAsync(records, deadline, cancellationToken).ConfigureAwait(false);
        return Respond(results);
    }

    private async Task<(ProduceResult Result, bool Duplicate)[]> WriteAsync(IReadOnlyList<IngestRecord> records, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        var results = new (ProduceResult Result, bool Duplicate)[records.Count];
        var claims = new IdempotencyClaim?[records.Count];
        var hashes = new string?[records.Count];
        var firstOfKey = new Dictionary<string, int>(StringComparer.Ordinal);
        var aliases = new List<(int Index, int Of)>();
        var isAlias = new bool[records.Count];
        var claimTasks = new List<(int Index, Task<IdempotencyClaim> Claim)>();
        for (var i = 0; i < records.Count; i++)
        {
            if (records[i].IdempotencyKey is not { } key)
            {
                continue;
            }

            hashes[i] = HashOf(records[i].Record);
            if (firstOfKey.TryGetValue(key, out var first))
            {
                aliases.Add((i, first));
                isAlias[i] = true;
                continue;
            }

            firstOfKey[key] = i;
            claimTasks.Add((i, _idempotency!.ClaimAsync(_producer.Destination + "#" + key, hashes[i]!, _options.IdempotencyInProgressTimeout, cancellationToken)));
        }

        foreach (var (index, claim) in claimTasks)
        {
            var outcome = await claim.ConfigureAwait(false);
            claims[index] = outcome;
            results[index] = outcome.Status switch
            {
                IdempotencyStatus.Completed => (outcome.Result!, true),
                IdempotencyStatus.InProgress => (ProduceResult.Failed("IdempotencyKeyInProgress", "Another request with this idempotency key is still being written; retry later.", 0), false),
                IdempotencyStatus.PayloadMismatch => (ProduceResult.Failed("IdempotencyKeyReused", "This idempotency key was used for a different record (data, partition key or explicit hash key).", 0), false),
                _ => default,
            };
        }

        var toWrite = new List<int>(records.Count);
        for (var i = 0; i < records.Count; i++)
        {
            if (results[i].Result is null && !isAlias[i])
            {
                toWrite.Add(i);
            }
        }

        if (toWrite.Count > 0)
        {
            var written = await _producer.ProduceAsync([.. toWrite.Select(i => records[i].Record)], deadline, cancellationToken).ConfigureAwait(false);
            for (var k = 0; k < toWrite.Count; k++)
            {
                results[toWrite[k]] = (written[k], false);
            }

            var settles = new List<Task>();
            foreach (var i in toWrite)
            {
                if (claims[i] is { Status: IdempotencyStatus.Claimed } claim)
                {
                    var result = results[i].Result;
                    if (result.Succeeded)
                    {
                        settles.Add(_idempotency!.CompleteAsync(claim, result, cancellationToken));
                    }
                    else if (result.ErrorCode != ProduceErrorCodes.OutcomeUnknown)
                    {
                        // Not written: let a retry write it. (An unknown outcome keeps the claim until it times out.)
                        settles.Add(_idempotency!.ReleaseAsync(claim, cancellationToken));
                    }
                }
            }

            await Task.WhenAll(settles).ConfigureAwait(false);
        }

        foreach (var (index, of) in aliases)
        {
            results[index] = hashes[index] == hashes[of]
                ? (results[of].Result, true)
                : (ProduceResult.Failed("IdempotencyKeyReused", $"Record {of} in this request has the same idempotency key and different data.", 0), false);
        }

        return results;
    }

    private static string HashOf(ProducerRecord record)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(record.PartitionKey + "\n" + record.ExplicitHashKey + "\n"));
        hash.AppendData(record.Data.Span);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static ReadOnlyMemory<byte> BodyOf(APIGatewayHttpApiV2ProxyRequest request)
    {
        if (string.IsNullOrEmpty(request.Body))
        {
            return ReadOnlyMemory<byte>.Empty;
        }

        if (!request.IsBase64Encoded)
        {
            // A text body with a lone surrogate (an escaped \ud800 in the event) has no UTF-8 form: refused, never
            // written with U+FFFD in its place.
            try
            {
                return StrictUtf8.GetBytes(request.Body);
            }
            catch (EncoderFallbackException)
            {
                throw new IngestRequestException(400, [new IngestError(null, "body.utf8", "The body is text that is not valid Unicode (it holds a lone surrogate); send it as valid UTF-8, or base64-encoded.")]);
            }
        }

        return IngestRequestReader.TryFromBase64(request.Body, out var bytes)
            ? bytes
            : throw new IngestRequestException(400, [new IngestError(null, "body.base64", "The body is marked base64-encoded but is not valid base64.")]);
    }

    private static APIGatewayHttpApiV2ProxyResponse Respond((ProduceResult Result, bool Duplicate)[] results)
    {
        var buffer = new ArrayBufferWriter<byte>(64 + (results.Length * 96));
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("failedRecordCount", results.Count(r => !r.Result.Succeeded));
            writer.WriteStartArray("records");
            foreach (var (result, duplicate) in results)
            {
                writer.WriteStartObject();
                if (result.Succeeded)
                {
                    WriteIf(writer, "shardId", result.ShardId);
                    WriteIf(writer, "sequenceNumber", result.SequenceNumber);
                    if (result.SubSequenceNumber is { } sub)
                    {
                        writer.WriteNumber("subSequenceNumber", sub);
                    }

                    if (result.Partition is { } partition)
                    {
                        writer.WriteNumber("partition", partition);
                        writer.WriteNumber("offset", result.Offset ?? -1);
                    }

                    if (duplicate)
                    {
                        writer.WriteBoolean("duplicate", true);
                    }
                }
                else
                {
                    writer.WriteString("errorCode", result.ErrorCode);
                    writer.WriteString("errorMessage", result.ErrorMessage);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Json(200, buffer.WrittenSpan);
    }

    private static void WriteIf(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }

    private static APIGatewayHttpApiV2ProxyResponse Error(int status, string message, IReadOnlyList<IngestError> errors)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("message", message);
            writer.WriteStartArray("errors");
            foreach (var error in errors)
            {
                writer.WriteStartObject();
                if (error.RecordIndex is { } index)
                {
                    writer.WriteNumber("recordIndex", index);
                }

                writer.WriteString("rule", error.Rule);
                writer.WriteString("message", error.Message);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Json(status, buffer.WrittenSpan);
    }

    private static APIGatewayHttpApiV2ProxyResponse Json(int status, ReadOnlySpan<byte> body) => new()
    {
        StatusCode = status,
        Headers = new Dictionary<string, string> { ["content-type"] = "application/json" },
        Body = Encoding.UTF8.GetString(body),
    };
}
