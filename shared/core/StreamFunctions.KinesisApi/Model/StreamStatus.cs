namespace StreamFunctions.KinesisApi.Model;

/// <summary>A stream's status.</summary>
public enum StreamStatus
{
    /// <summary>CREATING.</summary>
    Creating,

    /// <summary>DELETING.</summary>
    Deleting,

    /// <summary>ACTIVE: reads and writes work.</summary>
    Active,

    /// <summary>UPDATING: resharding; reads and writes still work.</summary>
    Updating,
}
