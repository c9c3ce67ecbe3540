using System.Text;
using System.Text.Json;
using StreamFunctions.Lambda.Events;
using StreamFunctions.Lambda.Events.Kinesis;
using StreamFunctions.Lambda.Invocation;
using StreamFunctions.Local.EventSourceMapping.Tests.Support;

namespace StreamFunctions.Local.EventSourceMapping.Tests;

/// <summary>The events the runner sends are the Lambda contracts' shapes: a function reads them with StreamFunctions.Lambda.Events.</summary>
public sealed class EventContractTests : IAsyncDisposable
{
    private readonly EmbeddedStreamHarness _harness = new();
    private readonly RecordingInvoker _invoker = new();

    public async ValueTask DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task Drain_Event_ReadsAsKinesisEventWithEveryField()
    {
        var stream = await _harness.CreateStreamAsync();
        var sequences = await _harness.PutAsync(stream, ("pk-1", "hello"), ("pk-2", "world"));
        var arn = (await _harness.Kinesis.DescribeStreamSummaryAsync(stream)).StreamArn;
        var sut = new KinesisEventSourceMapping(_harness.Kinesis, _invoker, new KinesisEventSourceOptions { StreamName = stream, PollInterval = TimeSpan.Zero }, time: _harness.Time);

        await sut.DrainAsync();

        var evnt = JsonSerializer.Deserialize(Assert.Single(_invoker.Calls).Payload, LambdaEventsJsonContext.Default.KinesisEvent)!;
        Assert.Equal(sequences, evnt.Records.Select(r => r.Kinesis.SequenceNumber));
        Assert.Equal(["hello", "world"], evnt.Records.Select(r => Encoding.UTF8.GetString(r.Kinesis.Data)));
        Assert.All(evnt.Records, r =>
        {
            Assert.Equal(arn, r.EventSourceArn);
            Assert.Equal("aws:kinesis", r.EventSource);
            Assert.Equal("aws:kinesis:record", r.EventName);
            Assert.Equal("1.0", r.EventVersion);
            Assert.Equal("1.0", r.Kinesis.KinesisSchemaVersion);
            Assert.False(string.IsNullOrEmpty(r.AwsRegion));
            Assert.False(string.IsNullOrEmpty(r.InvokeIdentityArn));
            Assert.Equal(_harness.Time.GetUtcNow().ToUnixTimeSeconds(), r.Kinesis.ApproximateArrivalTimestamp.ToUnixTimeSeconds());
        });

        using var batch = KinesisEventReader.Read(Encoding.UTF8.GetBytes(_invoker.Calls[0].Payload));
        Assert.Equal(evnt.Records.Select(r => r.EventId), batch.Records.Select(r => r.EventId));
    }

    [Fact]
    public async Task Drain_TumblingWindowEvent_ReadsAsKinesisTimeWindowEventAndTakesTheContractsResponse()
    {
        var stream = await _harness.CreateStreamAsync();
        await _harness.PutManyAsync(stream, 3);
        _invoker.Respond = invoked =>
        {
            var window = JsonSerializer.Deserialize(invoked.Payload, LambdaEventsJsonContext.Default.KinesisTimeWindowEvent)!;
            var count = window.State is { } state && state.TryGetValue("count", out var c) ? c.GetInt32() : 0;
            var response = new KinesisTimeWindowResponse { State = { ["count"] = JsonSerializer.SerializeToElement(count + window.Records.Count, LambdaEventsJsonContext.Default.Int32) } };
            return Task.FromResult(new LambdaInvocationResult(200, JsonSerializer.SerializeToUtf8Bytes(response, LambdaEventsJsonContext.Default.KinesisTimeWindowResponse), null, "id"));
        };
        var sut = new KinesisEventSourceMapping(_harness.Kinesis, _invoker, new KinesisEventSourceOptions { StreamName = stream, PollInterval = TimeSpan.Zero, TumblingWindowInSeconds = 60, BatchSize = 2 }, time: _harness.Time);

        await sut.DrainAsync();
        await _harness.MoveToNextWindowAsync(60);
        await sut.DrainAsync();

        var events = _invoker.Calls.Select(c => JsonSerializer.Deserialize(c.Payload, LambdaEventsJsonContext.Default.KinesisTimeWindowEvent)!).ToList();
        Assert.All(events, e => Assert.Equal(TimeSpan.FromSeconds(60), e.Window!.End - e.Window.Start));
        var final = Assert.Single(events, e => e.IsFinalInvokeForWindow);
        Assert.Equal(3, final.State!["count"].GetInt32());
    }
}
