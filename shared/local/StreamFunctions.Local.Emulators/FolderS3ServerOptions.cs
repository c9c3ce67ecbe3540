namespace StreamFunctions.Local.Emulators;

/// <summary>The folder S3 store's limits, with S3's defaults.</summary>
public sealed record FolderS3ServerOptions
{
    /// <summary>S3's largest object in one PUT, and its largest part: 5 GiB.</summary>
    public const long S3MaxPutBytes = 5L * 1024 * 1024 * 1024;

    /// <summary>The largest body of one PUT or one part (received into a temporary file, never held in memory); a larger one is <c>EntityTooLarge</c>.</summary>
    /// <value>The default value is 5 GiB (S3's); 1 byte to 5 GiB.</value>
    public long MaxPutBytes { get; init; } = S3MaxPutBytes;

    /// <summary>Where requests that failed inside the store (a 500) are described, with their exception.</summary>
    /// <value>The default value is <see cref="Console.Error"/>.</value>
    public TextWriter? Log { get; init; }

    /// <summary>Throws when an option is out of range, naming it.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is invalid.</exception>
    public void Validate()
    {
        if (MaxPutBytes is < 1 or > S3MaxPutBytes)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxPutBytes), MaxPutBytes, "MaxPutBytes must be between 1 byte and 5 GiB (S3's maximum).");
        }
    }
}
