using System.Net;
using System.Text.Json;
using StreamFunctions.KinesisApi.Exceptions;
using StreamFunctions.KinesisApi.Model;

namespace StreamFunctions.Aws.Kinesis.Internal;

/// <summary>Turns a Kinesis error response (JSON 1.1: <c>{"__type": ..., "message": ...}</c>) into a typed exception.</summary>
internal static class KinesisErrors
{
    /// <summary>Codes that mean Kinesis rejected the call before applying it: safe to retry any call.</summary>
    public static bool IsRejection(KinesisException error) =>
        error.ErrorCode is KinesisErrorCodes.ProvisionedThroughputExceeded
            or KinesisErrorCodes.LimitExceeded
            or "KMSThrottlingException"
            or "ThrottlingException"
            or "RequestLimitExceeded";

    public static KinesisException FromResponse(string operation, HttpStatusCode status, ReadOnlySpan<byte> body, string? errorTypeHeader, string? requestId)
    {
        var (code, message) = Parse(body);
        code ??= CleanCode(errorTypeHeader);
        code ??= (int)status >= 500 ? KinesisErrorCodes.InternalFailure : $"Http{(int)status}";
        message = string.IsNullOrWhiteSpace(message)
            ? $"Kinesis {operation} failed with HTTP {(int)status} {code}."
            : $"Kinesis {operation} failed: {code}: {message}";

        var statusCode = (int)status;
        return code switch
        {
            KinesisErrorCodes.ResourceNotFound => new KinesisResourceNotFoundException(message) { StatusCode = statusCode, RequestId = requestId },
            KinesisErrorCodes.ResourceInUse => new KinesisResourceInUseException(message) { StatusCode = statusCode, RequestId = requestId },
            KinesisErrorCodes.InvalidArgument or "ValidationException" or "SerializationException"
                => new KinesisInvalidArgumentException(message) { StatusCode = statusCode, RequestId = requestId },
            KinesisErrorCodes.LimitExceeded => new KinesisLimitExceededException(message) { StatusCode = statusCode, RequestId = requestId },
            KinesisErrorCodes.ProvisionedThroughputExceeded => new KinesisThroughputExceededException(message) { StatusCode = statusCode, RequestId = requestId },
            KinesisErrorCodes.ExpiredIterator => new KinesisExpiredIteratorException(message) { StatusCode = statusCode, RequestId = requestId },
            KinesisErrorCodes.ExpiredNextToken => new KinesisExpiredNextTokenException(message) { StatusCode = statusCode, RequestId = requestId },
            KinesisErrorCodes.AccessDenied => new KinesisAccessDeniedException(message) { StatusCode = statusCode, RequestId = requestId },
            _ when code.StartsWith("KMS", StringComparison.Ordinal) => new KinesisKmsException(code, message) { StatusCode = statusCode, RequestId = requestId },
            "ThrottlingException" or "RequestLimitExceeded"
                => new KinesisServiceException(code, message, isRetryable: true) { StatusCode = statusCode, RequestId = requestId },
            _ => new KinesisServiceException(code, message, isRetryable: statusCode >= 500) { StatusCode = statusCode, RequestId = requestId },
        };
    }

    private static (string? Code, string? Message) Parse(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty)
        {
            return (null, null);
        }

        try
        {
            var reader = new Utf8JsonReader(body);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return (null, null);
            }

            string? code = null;
            string? message = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isType = reader.ValueTextEquals("__type") || reader.ValueTextEquals("code");
                var isMessage = reader.ValueTextEquals("message") || reader.ValueTextEquals("Message");
                reader.Read();
                if (reader.TokenType == JsonTokenType.String && (isType || isMessage))
                {
                    if (isType)
                    {
                        code = CleanCode(reader.GetString());
                    }
                    else
                    {
                        message = reader.GetString();
                    }
                }
                else
                {
                    reader.Skip();
                }
            }

            return (code, message);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    // "com.amazonaws.kinesis.v20131202#ResourceNotFoundException" or
    // "ResourceNotFoundException:http://internal.amazon.com/coral/..." -> "ResourceNotFoundException".
    private static string? CleanCode(string? raw)
    {
        if (string.IsNullOrWhiteSpace(raw))
        {
            return null;
        }

        var hash = raw.LastIndexOf('#');
        if (hash >= 0)
        {
            raw = raw[(hash + 1)..];
        }

        var colon = raw.IndexOf(':', StringComparison.Ordinal);
        return (colon >= 0 ? raw[..colon] : raw).Trim();
    }
}
