using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using StreamFunctions.Lambda.Invocation;
using StreamFunctions.Local.EventSourceMapping.Destinations;

namespace StreamFunctions.Local.EventSourceMapping.Tests.Support;

/// <summary>One record of an invocation's event.</summary>
internal sealed record InvokedRecord(string SequenceNumber, string PartitionKey, string Data, string EventId, string EventSourceArn);

/// <summary>One invocation's event, parsed from the payload the runner sent.</summary>
internal sealed record InvokedEvent(
    int Index,
    IReadOnlyList<InvokedRecord> Records,
    string? WindowStart,
    string? WindowEnd,
    string? StateJson,
    bool? IsFinalInvokeForWindow,
    bool? IsWindowTerminatedEarly,
    string? ShardId,
    string Payload)
{
    public IReadOnlyList<string> Sequences => [.. Records.Select(r => r.SequenceNumber)];

    public IReadOnlyList<string> Data => [.. Records.Select(r => r.Data)];

    public static InvokedEvent Parse(int index, ReadOnlyMemory<byte> payload)
    {
        using var document = JsonDocument.Parse(payload);
        var root = document.RootElement;
        var records = root.GetProperty(nameof(Records)).EnumerateArray().Select(r =>
        {
            var k = r.GetProperty("kinesis");
            return new InvokedRecord(
                k.GetProperty("sequenceNumber").GetString()!,
                k.GetProperty("partitionKey").GetString()!,
                Encoding.UTF8.GetString(k.GetProperty("data").GetBytesFromBase64()),
                r.GetProperty("eventID").GetString()!,
                r.GetProperty("eventSourceARN").GetString()!);
        }).ToList();
        string? start = null, end = null, state = null, shard = null;
        bool? final = null, early = null;
        if (root.TryGetProperty("window", out var window))
        {
            start = window.GetProperty("start").GetString();
            end = window.GetProperty("end").GetString();
            state = root.GetProperty("state").GetRawText();
            final = root.GetProperty("isFinalInvokeForWindow").GetBoolean();
            early = root.GetProperty("isWindowTerminatedEarly").GetBoolean();
            shard = root.GetProperty("shardId").GetString();
        }

        return new InvokedEvent(index, records, start, end, state, final, early, shard, Encoding.UTF8.GetString(payload.Span));
    }
}

/// <summary>
/// An in-process function: records every event it is invoked with and answers through
/// <see cref="Respond"/> (success with an empty body by default). Thread-safe.
/// </summary>
internal sealed class RecordingInvoker : ILambdaInvoker
{
    private readonly ConcurrentQueue<InvokedEvent> _calls = new();
    private int _count;

    public Func<InvokedEvent, Task<LambdaInvocationResult>> Respond { get; set; } = _ => Task.FromResult(Ok());

    public IReadOnlyList<InvokedEvent> Calls => [.. _calls.OrderBy(c => c.Index)];

    /// <summary>Every record delivered, in invocation order.</summary>
    public IReadOnlyList<string> DeliveredData => [.. Calls.SelectMany(c => c.Data)];

    public static LambdaInvocationResult Ok(string body = "") =>
        new(200, Encoding.UTF8.GetBytes(body), null, Guid.NewGuid().ToString());

    public static LambdaInvocationResult Unhandled() =>
        new(200, Encoding.UTF8.GetBytes("""{"errorMessage":"boom","errorType":"Exception"}"""), "Unhandled", Guid.NewGuid().ToString());

    public static LambdaInvocationResult Failures(params string?[] itemIdentifiers) =>
        Ok(JsonSerializer.Serialize(new { batchItemFailures = itemIdentifiers.Select(i => new { itemIdentifier = i }) }));

    public async Task<LambdaInvocationResult> InvokeAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        var invoked = InvokedEvent.Parse(Interlocked.Increment(ref _count) - 1, payload);
        _calls.Enqueue(invoked);
        return await Respond(invoked).ConfigureAwait(false);
    }
}

/// <summary>An on-failure destination that keeps the records it gets.</summary>
internal sealed class RecordingDestination : IOnFailureDestination
{
    private readonly ConcurrentQueue<OnFailureRecord> _records = new();

    public IReadOnlyList<OnFailureRecord> Records => [.. _records];

    public Task SendAsync(OnFailureRecord record, CancellationToken cancellationToken = default)
    {
        _records.Enqueue(record);
        return Task.CompletedTask;
    }
}
