namespace StreamFunctions.Aws.Internal;

/// <summary>How a configuration value is read: blank counts as unset, surrounding spaces do not count.</summary>
internal static class ConfigValues
{
    public static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
