using System.Text;
using System.Text.Json;
using StreamFunctions.KinesisApi;
using StreamFunctions.Producers;

namespace StreamFunctions.Gateway;

/// <summary>A request that cannot be accepted, with the HTTP status to answer and every problem found.</summary>
public sealed class IngestRequestException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="statusCode">The 4xx status.</param>
    /// <param name="errors">The problems (at least one).</param>
    public IngestRequestException(int statusCode, IReadOnlyList<IngestError> errors)
        : base(errors is { Count: > 0 } ? errors[0].Message + (errors.Count > 1 ? $" (and {errors.Count - 1} more)" : string.Empty) : "Invalid request.")
    {
        StatusCode = statusCode;
        Errors = errors;
    }

    /// <summary>The HTTP status: 400, 413 or 415.</summary>
    public int StatusCode { get; }

    /// <summary>The problems found.</summary>
    public IReadOnlyList<IngestError> Errors { get; }
}

/// <summary>
/// Reads an ingest request body, enforcing Kinesis's PutRecords limits so a request is accepted whole or
/// refused whole, never partly:
/// <list type="bullet">
/// <item><c>application/json</c>: <c>{"records":[{"partitionKey":"k","data":{…}},{"partitionKey":"k","dataBase64":"…","explicitHashKey":"…","idempotencyKey":"…"}]}</c>.
/// <c>data</c> is any JSON value, written as its UTF-8 JSON text; <c>dataBase64</c> is the bytes in base64; exactly one of them.</item>
/// <item><c>application/octet-stream</c>: the body is one record; the partition key comes from the
/// <c>x-partition-key</c> header (or the <c>partitionKey</c> query parameter), the explicit hash key from
/// <c>x-explicit-hash-key</c>, the idempotency key from <c>idempotency-key</c>.</item>
/// </list>
/// Limits: 1–500 records; a record's data plus partition key at most 1 MiB; all of them at most 5 MiB;
/// partition key 1–256 characters; explicit hash key a decimal 0…2^128−1; idempotency key 1–256 characters;
/// JSON nesting at most 64 deep; no name given twice in one object — of the body, of a record, or inside
/// <c>data</c> (RFC 8259 leaves what a repeated name means to each reader, I-JSON (RFC 7493) forbids it, and the
/// stream's consumers would disagree on which value a record holds). Every broken rule is reported with the
/// record's index.
/// </summary>
public static class IngestRequestReader
{
    /// <summary>Records per request (PutRecords: 500).</summary>
    public const int MaxRecords = KinesisLimits.MaxRecordsPerRequest;

    /// <summary>A record's data plus partition key, in bytes (Kinesis: 1 MiB).</summary>
    public const int MaxRecordBytes = KinesisLimits.MaxRecordBytes;

    /// <summary>All records' data plus partition keys, in bytes (PutRecords: 5 MiB).</summary>
    public const int MaxRequestBytes = KinesisLimits.MaxRequestBytes;

    /// <summary>Idempotency key length in characters.</summary>
    public const int MaxIdempotencyKeyLength = 256;

    /// <summary>JSON nesting depth.</summary>
    public const int MaxDepth = 64;

    // The body of a JSON request may carry base64 (4/3 of the data) and JSON syntax; the Lambda payload limit (6 MB) bounds it anyway.
    private const int MaxBodyBytes = 8 * 1024 * 1024;

    private const int MaxReportedErrors = 100;

    /// <summary>Reads a request.</summary>
    /// <param name="body">The body's bytes.</param>
    /// <param name="contentType">The <c>content-type</c> header, or null (JSON is assumed).</param>
    /// <param name="headers">The headers (lower-case names), for a binary record's keys.</param>
    /// <param name="query">The query parameters.</param>
    /// <param name="rawQuery">The query as sent (<c>rawQueryString</c>): a parameter given twice is joined with a comma in <paramref name="query"/>, and only this tells the two apart.</param>
    /// <returns>The records, in order.</returns>
    /// <exception cref="IngestRequestException">The request breaks a rule; nothing of it may be written.</exception>
    public static IReadOnlyList<IngestRecord> Read(ReadOnlyMemory<byte> body, string? contentType, IDictionary<string, string>? headers = null, IDictionary<string, string>? query = null, string? rawQuery = null)
    {
        var mediaType = contentType?.Split(';', 2)[0].Trim().ToLowerInvariant();
        return mediaType switch
        {
            null or "" or "application/json" or "text/json" => ReadJson(body),
            "application/octet-stream" => ReadBinary(body, headers, query, rawQuery),
            _ => throw new IngestRequestException(415, [new IngestError(null, "contentType", $"Content type '{contentType}' is not accepted: send application/json (a batch) or application/octet-stream (one record).")]),
        };
    }

    private static List<IngestRecord> ReadBinary(ReadOnlyMemory<byte> body, IDictionary<string, string>? headers, IDictionary<string, string>? query, string? rawQuery)
    {
        var header = Header(headers, "x-partition-key");
        var fromQuery = query is not null && query.TryGetValue("partitionKey", out var q) ? q : null;
        if (fromQuery is not null && Occurrences(rawQuery, "partitionKey") is var times and > 1)
        {
            // A Function URL joins a repeated parameter's values with commas: the record would be keyed "a,b", silently.
            throw new IngestRequestException(400, [new IngestError(0, "partitionKey.duplicateKey", $"Record 0 gives its partition key {times} times in the partitionKey query parameter: give it once.")]);
        }

        if (header is not null && fromQuery is not null)
        {
            throw new IngestRequestException(400, [new IngestError(0, "partitionKey.duplicateKey", "Record 0 gives its partition key twice, in the x-partition-key header and the partitionKey query parameter: give one.")]);
        }

        var errors = new List<IngestError>();
        var record = Validate(0, body, header ?? fromQuery, Header(headers, "x-explicit-hash-key"), Header(headers, "idempotency-key"), errors);
        return errors.Count > 0 ? throw Invalid(errors) : [record!];
    }

    // How many parameters of the raw query have this name (names compared after percent- and '+'-decoding, as a Function URL decodes them).
    private static int Occurrences(string? rawQuery, string name)
    {
        var count = 0;
        foreach (var parameter in (rawQuery ?? string.Empty).Split('&'))
        {
            var equals = parameter.IndexOf('=', StringComparison.Ordinal);
            var raw = equals < 0 ? parameter : parameter[..equals];
            if (raw.Length > 0 && string.Equals(Uri.UnescapeDataString(raw.Replace('+', ' ')), name, StringComparison.Ordinal))
            {
                count++;
            }
        }

        return count;
    }

    private static List<IngestRecord> ReadJson(ReadOnlyMemory<byte> body)
    {
        if (body.Length > MaxBodyBytes)
        {
            throw new IngestRequestException(413, [new IngestError(null, "body.size", $"The body is {body.Length} bytes; at most {MaxBodyBytes} are read.")]);
        }

        if (!System.Text.Unicode.Utf8.IsValid(body.Span))
        {
            throw new IngestRequestException(400, [new IngestError(null, "body.utf8", $"The body is not valid UTF-8 (first bad byte at offset {FirstInvalidUtf8(body.Span)}).")]);
        }

        var records = new List<IngestRecord>();
        var errors = new List<IngestError>();
        var names = new UniqueNames();
        long total = 0;
        var reader = new Utf8JsonReader(body.Span, new JsonReaderOptions { MaxDepth = MaxDepth, CommentHandling = JsonCommentHandling.Disallow });
        try
        {
            Expect(reader.Read() && reader.TokenType == JsonTokenType.StartObject, "The body must be a JSON object: {\"records\": [...]}.");
            var sawRecords = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (!reader.ValueTextEquals("records"u8))
                {
                    throw new IngestRequestException(400, [new IngestError(null, "body.property", $"Unknown property '{reader.GetString()}': the body holds only \"records\".")]);
                }

                if (sawRecords)
                {
                    throw new IngestRequestException(400, [new IngestError(null, "body.duplicateKey", $"The body gives \"records\" twice: send one array of at most {MaxRecords} records.")]);
                }

                sawRecords = true;
                Expect(reader.Read() && reader.TokenType == JsonTokenType.StartArray, "\"records\" must be an array.");
                var index = 0;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (index == MaxRecords)
                    {
                        throw new IngestRequestException(413, [new IngestError(index, "records.count", $"A request holds at most {MaxRecords} records.")]);
                    }

                    var record = ReadRecord(ref reader, body, index, names, errors);
                    if (record is not null)
                    {
                        total += record.Record.Data.Length + Encoding.UTF8.GetByteCount(record.Record.PartitionKey);
                        if (total > MaxRequestBytes)
                        {
                            throw new IngestRequestException(413, [new IngestError(index, "request.size", $"The records' data and partition keys exceed {MaxRequestBytes} bytes (5 MiB) at record {index}.")]);
                        }

                        records.Add(record);
                    }

                    index++;
                    if (errors.Count >= MaxReportedErrors)
                    {
                        throw Invalid(errors);
                    }
                }
            }

            Expect(sawRecords, "The body has no \"records\" array.");
            Expect(!reader.Read(), "Unexpected content after the body's JSON object.");
        }
        catch (JsonException e)
        {
            throw new IngestRequestException(400, [new IngestError(null, "body.json", $"The body is not valid JSON (UTF-8, at most {MaxDepth} levels deep): {e.Message}")]);
        }

        if (errors.Count > 0)
        {
            throw Invalid(errors);
        }

        return records.Count == 0
            ? throw new IngestRequestException(400, [new IngestError(null, "records.count", "The request holds no records.")])
            : records;
    }

    private static IngestRecord? ReadRecord(ref Utf8JsonReader reader, ReadOnlyMemory<byte> body, int index, UniqueNames names, List<IngestError> errors)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            errors.Add(new IngestError(index, "record.type", $"Record {index} must be a JSON object."));
            reader.Skip();
            return null;
        }

        string? partitionKey = null, hashKey = null, idempotencyKey = null;
        ReadOnlyMemory<byte>? data = null;
        var seen = RecordProperties.None;
        var before = errors.Count;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("partitionKey"u8))
            {
                Once(ref seen, RecordProperties.PartitionKey, "partitionKey", index, errors);
                partitionKey = ReadString(ref reader, index, "partitionKey", errors);
            }
            else if (reader.ValueTextEquals("explicitHashKey"u8))
            {
                Once(ref seen, RecordProperties.ExplicitHashKey, "explicitHashKey", index, errors);
                hashKey = ReadString(ref reader, index, "explicitHashKey", errors);
            }
            else if (reader.ValueTextEquals("idempotencyKey"u8))
            {
                Once(ref seen, RecordProperties.IdempotencyKey, "idempotencyKey", index, errors);
                idempotencyKey = ReadString(ref reader, index, "idempotencyKey", errors);
            }
            else if (reader.ValueTextEquals("data"u8))
            {
                Once(ref seen, RecordProperties.Data, "data", index, errors);
                reader.Read();
                var start = (int)reader.TokenStartIndex;
                var repeated = names.Read(ref reader, body);
                var end = (int)reader.BytesConsumed;
                if (repeated >= 0)
                {
                    errors.Add(new IngestError(index, "data.duplicateKey", $"Record {index}: the object at {UniqueNames.PathOf(body.Span[start..end], repeated - start)} of \"data\" gives \"{NameAt(body.Span, repeated)}\" twice; names in a JSON object must be unique (RFC 8259, I-JSON)."));
                }

                if ((seen & RecordProperties.DataBase64) != 0)
                {
                    errors.Add(new IngestError(index, "data.exclusive", $"Record {index} has both \"data\" and \"dataBase64\": send one."));
                }

                data = body[start..end];
            }
            else if (reader.ValueTextEquals("dataBase64"u8))
            {
                Once(ref seen, RecordProperties.DataBase64, "dataBase64", index, errors);
                var text = ReadString(ref reader, index, "dataBase64", errors);
                if ((seen & RecordProperties.Data) != 0)
                {
                    errors.Add(new IngestError(index, "data.exclusive", $"Record {index} has both \"data\" and \"dataBase64\": send one."));
                }

                if (text is not null)
                {
                    if (TryFromBase64(text, out var bytes))
                    {
                        data = bytes;
                    }
                    else
                    {
                        errors.Add(new IngestError(index, "dataBase64.encoding", $"Record {index}: \"dataBase64\" is not valid base64."));
                        data = ReadOnlyMemory<byte>.Empty;
                    }
                }
            }
            else
            {
                errors.Add(new IngestError(index, "record.property", $"Record {index} has an unknown property '{reader.GetString()}'; known: partitionKey, data, dataBase64, explicitHashKey, idempotencyKey."));
                reader.Read();
                reader.Skip();
            }
        }

        if (errors.Count > before)
        {
            return null;
        }

        if (data is null)
        {
            errors.Add(new IngestError(index, "data.required", $"Record {index} has no \"data\" (a JSON value) or \"dataBase64\"."));
            return null;
        }

        var record = Validate(index, data.Value, partitionKey, hashKey, idempotencyKey, errors);
        return errors.Count > before ? null : record;
    }

    // A record's property given a second time is refused, whichever value would have won.
    private static void Once(ref RecordProperties seen, RecordProperties property, string name, int index, List<IngestError> errors)
    {
        if ((seen & property) != 0)
        {
            errors.Add(new IngestError(index, "record.duplicateKey", $"Record {index} gives \"{name}\" twice."));
        }

        seen |= property;
    }

    // The name whose token starts at this offset of the body, unescaped.
    private static string NameAt(ReadOnlySpan<byte> body, long offset)
    {
        var reader = new Utf8JsonReader(body[(int)offset..]);
        reader.Read();
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            return Encoding.UTF8.GetString(reader.ValueSpan);
        }
    }

    private static string? ReadString(ref Utf8JsonReader reader, int index, string name, List<IngestError> errors)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.String)
        {
            try
            {
                return reader.GetString();
            }
            catch (InvalidOperationException)
            {
                errors.Add(new IngestError(index, name + ".unicode", $"Record {index}: \"{name}\" is not valid Unicode (an escaped lone surrogate)."));
                return null;
            }
        }

        errors.Add(new IngestError(index, name + ".type", $"Record {index}: \"{name}\" must be a string."));
        reader.Skip();
        return null;
    }

    private static IngestRecord? Validate(int index, ReadOnlyMemory<byte> data, string? partitionKey, string? hashKey, string? idempotencyKey, List<IngestError> errors)
    {
        var before = errors.Count;
        var keyProblem = PartitionKeys.Check(partitionKey);
        if (keyProblem != PartitionKeyProblem.None)
        {
            var rule = keyProblem switch
            {
                PartitionKeyProblem.Missing => "partitionKey.required",
                PartitionKeyProblem.Length => "partitionKey.length",
                _ => "partitionKey.unicode",
            };
            errors.Add(new IngestError(index, rule, $"Record {index}: {PartitionKeys.Describe(keyProblem, partitionKey)}."));
        }
        else if (data.Length + Encoding.UTF8.GetByteCount(partitionKey!) > MaxRecordBytes)
        {
            errors.Add(new IngestError(index, "record.size", $"Record {index}: data ({data.Length} bytes) and partition key exceed {MaxRecordBytes} bytes (1 MiB)."));
        }

        if (hashKey is not null && !HashKeys.TryParse(hashKey, out _))
        {
            errors.Add(HashKeys.MatchesPattern(hashKey)
                ? new IngestError(index, "explicitHashKey.range", $"Record {index}: the explicit hash key is above 2^128 - 1; Kinesis takes {HashKeys.Rule}.")
                : new IngestError(index, "explicitHashKey.format", $"Record {index}: the explicit hash key is not one Kinesis takes: {HashKeys.Rule}."));
        }

        if (idempotencyKey is not null && (idempotencyKey.Length is 0 or > MaxIdempotencyKeyLength || !IsValidUtf16(idempotencyKey)))
        {
            errors.Add(new IngestError(index, "idempotencyKey.length", $"Record {index}: the idempotency key must have 1 to {MaxIdempotencyKeyLength} characters of valid Unicode."));
        }

        return errors.Count > before ? null : new IngestRecord(new ProducerRecord(data, partitionKey!, hashKey), idempotencyKey);
    }

    /// <summary>
    /// A header's value, by case-insensitive name (HTTP APIs and Function URLs send lower-case names, a repeated
    /// header joined with commas; other callers may not). Names are case-insensitive, so two that differ only in
    /// case are the header given twice: refused, as no value would be the one sent.
    /// </summary>
    /// <param name="headers">The headers, or null.</param>
    /// <param name="name">The name, in lower case.</param>
    /// <returns>The value, or null.</returns>
    /// <exception cref="IngestRequestException">The header is given twice.</exception>
    internal static string? Header(IDictionary<string, string>? headers, string name)
    {
        if (headers is null)
        {
            return null;
        }

        string? found = null, foundAs = null;
        foreach (var (key, value) in headers)
        {
            if (!string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (foundAs is not null)
            {
                var (first, second) = string.Equals(foundAs, name, StringComparison.Ordinal) ? (foundAs, key) : (key, foundAs);
                throw new IngestRequestException(400, [new IngestError(null, "header.duplicateKey", $"The header {name} is given twice (as {first} and {second}): give it once.")]);
            }

            (found, foundAs) = (value, key);
        }

        return found;
    }

    /// <summary>Decodes base64 into a buffer of the decoded size.</summary>
    /// <param name="text">The base64 text.</param>
    /// <param name="bytes">The bytes, when valid.</param>
    /// <returns>Whether the text was valid base64.</returns>
    internal static bool TryFromBase64(string text, out ReadOnlyMemory<byte> bytes)
    {
        var buffer = new byte[(text.Length * 3 / 4) + 3];
        var valid = Convert.TryFromBase64String(text, buffer, out var written);
        bytes = valid ? buffer.AsMemory(0, written) : ReadOnlyMemory<byte>.Empty;
        return valid;
    }

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        var offset = 0;
        while (offset < bytes.Length)
        {
            if (Rune.DecodeFromUtf8(bytes[offset..], out _, out var consumed) != System.Buffers.OperationStatus.Done)
            {
                return offset;
            }

            offset += consumed;
        }

        return offset;
    }

    // No lone surrogates: each high surrogate followed by a low one.
    private static bool IsValidUtf16(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(value[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static void Expect(bool condition, string message)
    {
        if (!condition)
        {
            throw new IngestRequestException(400, [new IngestError(null, "body.shape", message)]);
        }
    }

    private static IngestRequestException Invalid(List<IngestError> errors) => new(400, errors);

    [Flags]
    private enum RecordProperties
    {
        None = 0,
        PartitionKey = 1,
        ExplicitHashKey = 2,
        IdempotencyKey = 4,
        Data = 8,
        DataBase64 = 16,
    }
}
