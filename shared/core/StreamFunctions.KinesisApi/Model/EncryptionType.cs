namespace StreamFunctions.KinesisApi.Model;

/// <summary>Server-side encryption of a stream's records.</summary>
public enum EncryptionType
{
    /// <summary>NONE.</summary>
    None,

    /// <summary>KMS.</summary>
    Kms,
}
