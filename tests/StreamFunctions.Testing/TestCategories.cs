namespace StreamFunctions.Testing;

/// <summary>
/// Trait names and values. Tests that need the emulators carry
/// <c>[Trait(TestCategories.Category, TestCategories.Integration)]</c>, so that
/// <c>scripts/test.sh --unit</c> (filter <c>Category!=Integration</c>) runs without them.
/// </summary>
public static class TestCategories
{
    /// <summary>The trait name.</summary>
    public const string Category = "Category";

    /// <summary>Tests that start or use the local AWS emulators (or LocalStack, or AWS).</summary>
    public const string Integration = "Integration";

    /// <summary>The trait name that groups tests into suites run on their own (<c>scripts/test.sh --faults</c>).</summary>
    public const string Suite = "Suite";

    /// <summary>The fault-injection suite: processes killed, services failing, runners competing, shards splitting; each asserts nothing lost, nothing duplicated and monotonic checkpoints.</summary>
    public const string Faults = "Faults";
}
