using System.Text.Json;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Lambda.Invocation;

namespace StreamFunctions.Local.EventSourceMapping.Internal;

/// <summary>What an invocation means for its batch.</summary>
internal enum BatchOutcome
{
    /// <summary>Every record succeeded.</summary>
    Succeeded,

    /// <summary>Records before <see cref="FunctionResponse.FirstFailedIndex"/> succeeded; the rest are retried.</summary>
    PartiallyFailed,

    /// <summary>The whole batch failed.</summary>
    Failed,
}

/// <summary>How the runner reads a function's response (docs: services-kinesis-batchfailurereporting, services-kinesis-windows).</summary>
/// <param name="Outcome">Success, partial failure or failure.</param>
/// <param name="FirstFailedIndex">With a partial failure: the index in the batch of the lowest failed sequence number.</param>
/// <param name="StateJson">With tumbling windows: the <c>state</c> the function returned, raw JSON.</param>
internal readonly record struct FunctionResponse(BatchOutcome Outcome, int FirstFailedIndex, string? StateJson)
{
    private static readonly FunctionResponse Failure = new(BatchOutcome.Failed, 0, null);

    public static FunctionResponse Interpret(LambdaInvocationResult result, IReadOnlyList<KinesisRecord> batch, bool reportBatchItemFailures, bool tumbling)
    {
        if (!result.Succeeded)
        {
            return Failure;
        }

        if (!reportBatchItemFailures && !tumbling)
        {
            return new FunctionResponse(BatchOutcome.Succeeded, 0, null);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(result.Payload);
        }
        catch (JsonException)
        {
            // An empty response is a success for partial batch responses; one that is not JSON is a failure.
            return result.Payload.IsEmpty && !tumbling ? new FunctionResponse(BatchOutcome.Succeeded, 0, null) : Failure;
        }

        using (document)
        {
            var root = document.RootElement;
            string? state = null;
            if (tumbling)
            {
                // Lambda counts a response without a state property as a failed invocation.
                if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("state", out var s) || s.ValueKind != JsonValueKind.Object)
                {
                    return Failure;
                }

                state = s.GetRawText();
            }

            if (!reportBatchItemFailures || root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("batchItemFailures", out var failures) || failures.ValueKind == JsonValueKind.Null)
            {
                return new FunctionResponse(BatchOutcome.Succeeded, 0, state);
            }

            if (failures.ValueKind != JsonValueKind.Array)
            {
                return Failure with { StateJson = state };
            }

            var lowest = int.MaxValue;
            foreach (var failure in failures.EnumerateArray())
            {
                if (failure.ValueKind != JsonValueKind.Object || !failure.TryGetProperty("itemIdentifier", out var id)
                    || id.ValueKind != JsonValueKind.String || id.GetString() is not { Length: > 0 } sequence)
                {
                    return Failure with { StateJson = state };
                }

                var index = IndexOf(batch, sequence);
                if (index < 0)
                {
                    return Failure with { StateJson = state };
                }

                lowest = Math.Min(lowest, index);
            }

            return lowest == int.MaxValue
                ? new FunctionResponse(BatchOutcome.Succeeded, 0, state)
                : new FunctionResponse(BatchOutcome.PartiallyFailed, lowest, state);
        }
    }

    private static int IndexOf(IReadOnlyList<KinesisRecord> batch, string sequence)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            if (string.Equals(batch[i].SequenceNumber, sequence, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }
}
