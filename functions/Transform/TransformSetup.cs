using StreamFunctions.Aws;
using StreamFunctions.Transform;

namespace StreamFunctions.Functions.Transform;

/// <summary>
/// Builds the Transform function (<see cref="TransformFunction"/>) from <c>TRANSFORM_CONFIG</c> (JSON) or
/// <c>TRANSFORM_CONFIG_FILE</c> (relative to the function's folder): see <see cref="JsonProjectionTransform"/> and
/// <c>transform.example.json</c>. Without either it passes every record through unchanged
/// (<see cref="PassThroughTransform"/>), as a Firehose stream without a transformation delivers.
/// </summary>
internal static class TransformSetup
{
    public static TransformFunction FromEnvironment(IEnvironmentVariables environment)
    {
        var settings = new SettingsReader(environment);
        return new TransformFunction(
            settings.Parsed("TRANSFORM_CONFIG", "TRANSFORM_CONFIG_FILE", JsonProjectionTransform.Parse, "a JSON projection (filter, fields, missing, partitionKeys, appendNewline: see transform.example.json)")
            ?? (IRecordTransform)new PassThroughTransform());
    }
}
