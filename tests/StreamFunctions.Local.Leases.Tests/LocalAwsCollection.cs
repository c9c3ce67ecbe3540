using StreamFunctions.Testing;

namespace StreamFunctions.Local.Leases.Tests;

/// <summary>Integration tests of this assembly share one set of emulators.</summary>
[CollectionDefinition(Name)]
public sealed class LocalAwsCollection : ICollectionFixture<LocalAwsFixture>
{
    public const string Name = "LocalAws";
}
