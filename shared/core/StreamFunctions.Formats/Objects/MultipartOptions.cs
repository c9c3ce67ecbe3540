using StreamFunctions.Records.Exceptions;

namespace StreamFunctions.Formats.Objects;

/// <summary>How <see cref="MultipartStream"/> cuts an object into S3 multipart-upload parts.</summary>
public sealed class MultipartOptions
{
    /// <summary>S3's smallest part (all but the last): 5 MiB.</summary>
    public const int MinPartSize = 5 * 1024 * 1024;

    /// <summary>The largest part size allowed here (S3 allows 5 GiB; parts are held in memory).</summary>
    public const int MaxPartSize = 512 * 1024 * 1024;

    /// <summary>S3's most parts in one upload.</summary>
    public const int MaxParts = 10_000;

    /// <summary>The size of every part but the last.</summary>
    /// <value>The default is 8,388,608 (8 MiB, the AWS CLI's multipart chunk size); allowed 5 MiB–512 MiB.</value>
    public int PartSize { get; init; } = 8 * 1024 * 1024;

    /// <summary>Checks every option.</summary>
    /// <exception cref="StorageOptionsException">An option is out of range; the message names it.</exception>
    public MultipartOptions Validate()
    {
        if (PartSize is < MinPartSize or > MaxPartSize)
        {
            throw new StorageOptionsException($"{nameof(MultipartOptions)}.{nameof(PartSize)}", $"{PartSize} is outside the allowed {MinPartSize}–{MaxPartSize} bytes (S3 takes parts of at least 5 MiB but the last).");
        }

        return this;
    }
}
