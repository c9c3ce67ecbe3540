using System.Text.Json.Serialization;
using StreamFunctions.Lambda.Events.Serialization;

namespace StreamFunctions.Lambda.Events.Sqs;

/// <summary>The event of an SQS event source mapping.</summary>
public sealed class SQSEvent
{
    /// <summary>The messages.</summary>
    [JsonPropertyName("Records")]
    public IList<SQSMessage> Records { get; set; } = [];
}

/// <summary>One SQS message.</summary>
public sealed class SQSMessage
{
    /// <summary>The message id (the batch-item-failure identifier).</summary>
    [JsonPropertyName("messageId")]
    public string? MessageId { get; set; }

    /// <summary>The receipt handle.</summary>
    [JsonPropertyName("receiptHandle")]
    public string? ReceiptHandle { get; set; }

    /// <summary>The body.</summary>
    [JsonPropertyName("body")]
    public string? Body { get; set; }

    /// <summary>System attributes (ApproximateReceiveCount, SentTimestamp, ...).</summary>
    [JsonPropertyName("attributes")]
    public IDictionary<string, string>? Attributes { get; set; }

    /// <summary>Message attributes.</summary>
    [JsonPropertyName("messageAttributes")]
    public IDictionary<string, MessageAttribute>? MessageAttributes { get; set; }

    /// <summary>MD5 of the body.</summary>
    [JsonPropertyName("md5OfBody")]
    public string? Md5OfBody { get; set; }

    /// <summary>MD5 of the message attributes.</summary>
    [JsonPropertyName("md5OfMessageAttributes")]
    public string? Md5OfMessageAttributes { get; set; }

    /// <summary><c>aws:sqs</c>.</summary>
    [JsonPropertyName("eventSource")]
    public string? EventSource { get; set; }

    /// <summary>The queue's ARN.</summary>
    [JsonPropertyName("eventSourceARN")]
    public string? EventSourceArn { get; set; }

    /// <summary>The region.</summary>
    [JsonPropertyName("awsRegion")]
    public string? AwsRegion { get; set; }
}

/// <summary>An SQS message attribute (named as in Amazon.Lambda.SQSEvents).</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Justification = "The official Amazon.Lambda.SQSEvents name, kept so users can switch.")]
public sealed class MessageAttribute
{
    /// <summary>String value.</summary>
    [JsonPropertyName("stringValue")]
    public string? StringValue { get; set; }

    /// <summary>Binary value (base64 in JSON).</summary>
    [JsonPropertyName("binaryValue")]
    [JsonConverter(typeof(Base64DataConverter))]
    public byte[]? BinaryValue { get; set; }

    /// <summary>Reserved by SQS.</summary>
    [JsonPropertyName("stringListValues")]
    public IList<string>? StringListValues { get; set; }

    /// <summary>Reserved by SQS.</summary>
    [JsonPropertyName("binaryListValues")]
    public IList<byte[]>? BinaryListValues { get; set; }

    /// <summary>String, Number or Binary (with an optional custom suffix).</summary>
    [JsonPropertyName("dataType")]
    public string? DataType { get; set; }
}
