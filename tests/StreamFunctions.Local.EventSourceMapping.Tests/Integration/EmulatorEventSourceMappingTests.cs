using StreamFunctions.Aws.Kinesis;
using StreamFunctions.Local.EventSourceMapping.Tests.Support;
using StreamFunctions.Testing;

namespace StreamFunctions.Local.EventSourceMapping.Tests.Integration;

/// <summary>
/// Every event-source-mapping behaviour test, against the Kinesis emulator through the signed HTTP
/// client: the runner reads real GetRecords pages, iterators, sequence numbers and arrival times.
/// </summary>
[Collection(LocalAwsCollection.Name)]
[Trait(TestCategories.Category, TestCategories.Integration)]
public sealed class EmulatorEventSourceMappingTests(LocalAwsFixture aws)
    : EventSourceMappingBehaviourTests(new EmulatorStreamHarness(KinesisClient.Create(aws.Settings)));
