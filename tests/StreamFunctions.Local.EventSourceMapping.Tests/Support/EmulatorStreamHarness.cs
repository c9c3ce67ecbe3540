using StreamFunctions.KinesisApi;
using StreamFunctions.Testing;

namespace StreamFunctions.Local.EventSourceMapping.Tests.Support;

/// <summary>
/// A stream on the Kinesis emulator (or LocalStack): arrival times are the wall clock, so the runner's
/// clock starts at the wall clock and waits happen only where a test needs records to be older.
/// </summary>
/// <param name="kinesis">A client for the emulator's endpoint.</param>
public sealed class EmulatorStreamHarness(IKinesisApi kinesis) : StreamHarness
{
    private readonly ManualTimeProvider _time = new(TimeProvider.System.GetUtcNow());

    internal override ManualTimeProvider Time => _time;

    public override IKinesisApi Kinesis { get; } = kinesis;

    // Short, so that moving to the next window waits at most 2 s; long enough for a few puts and polls.
    public override int WindowSeconds => 2;

    public override async Task LetTimePassAsync(TimeSpan by)
    {
        await Task.Delay(by);
        _time.Set(TimeProvider.System.GetUtcNow());
    }

    public override async Task MoveToNextWindowAsync(int seconds)
    {
        var now = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds();
        var next = ((now / (seconds * 1000L)) + 1) * seconds * 1000L;
        await Task.Delay(TimeSpan.FromMilliseconds(next - now + 20));
        _time.Set(TimeProvider.System.GetUtcNow());
    }

    protected override Task WaitActiveAsync(string stream) => StreamSetup.WaitActiveAsync(Kinesis, stream);
}
