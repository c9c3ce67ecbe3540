using StreamFunctions.KinesisApi;
using StreamFunctions.Local.StreamLog.Kinesis;
using StreamFunctions.Testing;

namespace StreamFunctions.Local.EventSourceMapping.Tests.Support;

/// <summary>
/// The embedded stream log (<see cref="EmbeddedKinesis"/>) in a fresh temp folder, with its default
/// group-commit and fsync policy: arrival times follow the test's clock exactly, as in memory.
/// </summary>
public sealed class EmbeddedStreamHarness : StreamHarness
{
    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2026, 11, 23, 0, 0, 0, TimeSpan.Zero));
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "sfn-esm-embedded-" + Guid.NewGuid().ToString("N"));

    public EmbeddedStreamHarness() =>
        Kinesis = EmbeddedKinesis.Open(new EmbeddedKinesisOptions { Directory = _directory }, _time);

    internal override ManualTimeProvider Time => _time;

    public override IKinesisApi Kinesis { get; }

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

    protected override void OnDisposed()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Never created: nothing to remove.
        }
    }
}
