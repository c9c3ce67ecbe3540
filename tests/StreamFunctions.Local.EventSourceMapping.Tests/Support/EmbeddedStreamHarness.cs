using StreamFunctions.KinesisApi;
using StreamFunctions.Local.StreamLog.Kinesis;
using StreamFunctions.Testing;
using StreamFunctions.Testing.Kinesis;

namespace StreamFunctions.Local.EventSourceMapping.Tests.Support;

/// <summary>
/// The embedded stream log (<see cref="EmbeddedKinesis"/>) in a fresh temp folder, with its default
/// group-commit and fsync policy, behind <see cref="Faults"/>: arrival times follow the test's clock exactly.
/// </summary>
public sealed class EmbeddedStreamHarness : StreamHarness
{
    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2026, 11, 23, 0, 0, 0, TimeSpan.Zero));

    public EmbeddedStreamHarness() => Faults = FaultInjectingKinesis.OnTempFolder(_time);

    internal override ManualTimeProvider Time => _time;

    /// <summary>The stream with the faults a test injects (Kinesis errors per call, failed PutRecords entries).</summary>
    public FaultInjectingKinesis Faults { get; }

    public override IKinesisApi Kinesis => Faults;

    public override int WindowSeconds => 60;

    public override Task LetTimePassAsync(TimeSpan by)
    {
        _time.Advance(by);
        return Task.CompletedTask;
    }

    public override Task MoveToNextWindowAsync(int seconds)
    {
        var ms = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var next = ((ms / (seconds * 1000L)) + 1) * seconds * 1000L;
        _time.Set(DateTimeOffset.FromUnixTimeMilliseconds(next + 1));
        return Task.CompletedTask;
    }

    protected override Task WaitActiveAsync(string stream) => Task.CompletedTask;
}
