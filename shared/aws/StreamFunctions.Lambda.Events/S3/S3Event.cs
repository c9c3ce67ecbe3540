using System.Text.Json.Serialization;

namespace StreamFunctions.Lambda.Events.S3;

/// <summary>An S3 event notification as Lambda receives it (e.g. ObjectCreated).</summary>
public sealed class S3Event
{
    /// <summary>The notifications.</summary>
    [JsonPropertyName("Records")]
    public IList<S3EventNotificationRecord> Records { get; set; } = [];
}

/// <summary>One S3 event notification.</summary>
public sealed class S3EventNotificationRecord
{
    /// <summary>e.g. <c>2.1</c>.</summary>
    [JsonPropertyName("eventVersion")]
    public string? EventVersion { get; set; }

    /// <summary><c>aws:s3</c>.</summary>
    [JsonPropertyName("eventSource")]
    public string? EventSource { get; set; }

    /// <summary>The region.</summary>
    [JsonPropertyName("awsRegion")]
    public string? AwsRegion { get; set; }

    /// <summary>ISO 8601 time of the event.</summary>
    [JsonPropertyName("eventTime")]
    public string? EventTime { get; set; }

    /// <summary>e.g. <c>ObjectCreated:Put</c>.</summary>
    [JsonPropertyName("eventName")]
    public string? EventName { get; set; }

    /// <summary>Who caused it.</summary>
    [JsonPropertyName("userIdentity")]
    public S3UserIdentity? UserIdentity { get; set; }

    /// <summary>Request parameters (sourceIPAddress).</summary>
    [JsonPropertyName("requestParameters")]
    public IDictionary<string, string>? RequestParameters { get; set; }

    /// <summary>Response elements (x-amz-request-id, x-amz-id-2).</summary>
    [JsonPropertyName("responseElements")]
    public IDictionary<string, string>? ResponseElements { get; set; }

    /// <summary>The bucket and object.</summary>
    [JsonPropertyName("s3")]
    public S3Entity S3 { get; set; } = new();
}

/// <summary>An identity in an S3 notification.</summary>
public sealed class S3UserIdentity
{
    /// <summary>The principal id.</summary>
    [JsonPropertyName("principalId")]
    public string? PrincipalId { get; set; }
}

/// <summary>The <c>s3</c> part of a notification.</summary>
public sealed class S3Entity
{
    /// <summary><c>1.0</c>.</summary>
    [JsonPropertyName("s3SchemaVersion")]
    public string? S3SchemaVersion { get; set; }

    /// <summary>The notification configuration's id.</summary>
    [JsonPropertyName("configurationId")]
    public string? ConfigurationId { get; set; }

    /// <summary>The bucket.</summary>
    [JsonPropertyName("bucket")]
    public S3BucketEntity Bucket { get; set; } = new();

    /// <summary>The object (named as in Amazon.Lambda.S3Events).</summary>
    [JsonPropertyName("object")]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "The official Amazon.Lambda.S3Events name, kept so users can switch.")]
    public S3ObjectEntity Object { get; set; } = new();
}

/// <summary>The bucket of a notification.</summary>
public sealed class S3BucketEntity
{
    /// <summary>Its name.</summary>
    [JsonPropertyName("name")]
    public string? Name { get; set; }

    /// <summary>Its owner.</summary>
    [JsonPropertyName("ownerIdentity")]
    public S3UserIdentity? OwnerIdentity { get; set; }

    /// <summary>Its ARN.</summary>
    [JsonPropertyName("arn")]
    public string? Arn { get; set; }
}

/// <summary>The object of a notification.</summary>
public sealed class S3ObjectEntity
{
    /// <summary>The key, URL-encoded as S3 sends it (spaces as '+').</summary>
    [JsonPropertyName("key")]
    public string? Key { get; set; }

    /// <summary>The size in bytes.</summary>
    [JsonPropertyName("size")]
    public long Size { get; set; }

    /// <summary>The ETag.</summary>
    [JsonPropertyName("eTag")]
    public string? ETag { get; set; }

    /// <summary>The version, for versioned buckets.</summary>
    [JsonPropertyName("versionId")]
    public string? VersionId { get; set; }

    /// <summary>Orders events for one key.</summary>
    [JsonPropertyName("sequencer")]
    public string? Sequencer { get; set; }

    /// <summary>The key decoded (<c>+</c> and <c>%XX</c> as S3 encodes them).</summary>
    [JsonIgnore]
    public string? DecodedKey => Key is null ? null : Uri.UnescapeDataString(Key.Replace('+', ' '));
}
