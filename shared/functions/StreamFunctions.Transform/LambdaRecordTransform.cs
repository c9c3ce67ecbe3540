using System.Text.Json;
using StreamFunctions.Aws;
using StreamFunctions.Lambda.Events;
using StreamFunctions.Lambda.Invocation;

namespace StreamFunctions.Transform;

/// <summary>Options of <see cref="LambdaRecordTransform"/>.</summary>
public sealed class LambdaTransformOptions
{
    /// <summary>The <c>deliveryStreamArn</c> the function sees.</summary>
    public string DeliveryStreamArn { get; init; } = "arn:aws:firehose:us-east-1:000000000000:deliverystream/streamfunctions";

    /// <summary>The <c>region</c> the function sees.</summary>
    public string Region { get; init; } = "us-east-1";

    /// <summary>The largest request event (Firehose's Lambda buffer size: 1 MB by default; at most 6 MB).</summary>
    public int MaxRequestBytes { get; init; } = 1024 * 1024;

    /// <summary>Retries of an invocation that failed (Firehose: 3 by default), before its records become ProcessingFailed.</summary>
    public int Retries { get; init; } = 3;

    /// <summary>The first retry's delay; later ones double, with full jitter.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How many invocations run at once.</summary>
    public int MaxConcurrency { get; init; } = 4;
}

/// <summary>
/// Runs an existing Firehose transformation Lambda, unchanged, through an <see cref="ILambdaInvoker"/>
/// (<see cref="LambdaInvokeClient"/> for a deployed function): the batch is cut into invocations under the
/// payload limit, each invocation is retried on throttling, service errors, function errors and unreadable
/// responses, and then its records become ProcessingFailed with the reason. A response missing some
/// records fails exactly those records (see <see cref="FirehoseTransformContract.Reconcile"/>).
/// </summary>
public sealed class LambdaRecordTransform : IRecordTransform
{
    private readonly ILambdaInvoker _invoker;
    private readonly string _function;
    private readonly LambdaTransformOptions _options;
    private readonly TimeProvider _time;
    private int _unknown;

    /// <summary>Creates the transform.</summary>
    /// <param name="invoker">How to invoke the function.</param>
    /// <param name="function">Its name, for messages.</param>
    /// <param name="options">Options.</param>
    /// <param name="time">The clock for retry delays.</param>
    public LambdaRecordTransform(ILambdaInvoker invoker, string function, LambdaTransformOptions? options = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(invoker);
        _invoker = invoker;
        _function = function;
        _options = options ?? new LambdaTransformOptions();
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Response records that matched no request record, since creation (a misbehaving function).</summary>
    public int UnknownRecordIds => Volatile.Read(ref _unknown);

    /// <inheritdoc />
    public async Task<IReadOnlyList<TransformOutput>> TransformAsync(IReadOnlyList<TransformInput> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        var requests = FirehoseTransformContract.Requests(records, _options.DeliveryStreamArn, _options.Region, _options.MaxRequestBytes);
        var results = new IReadOnlyList<TransformOutput>[requests.Count];
        using var gate = new SemaphoreSlim(_options.MaxConcurrency);
        await Task.WhenAll(requests.Select(async (request, i) =>
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                results[i] = await InvokeAsync(request.Event, request.Records, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        })).ConfigureAwait(false);
        return [.. results.SelectMany(r => r)];
    }

    private async Task<IReadOnlyList<TransformOutput>> InvokeAsync(Lambda.Events.Firehose.KinesisFirehoseEvent evnt, IReadOnlyList<TransformInput> records, CancellationToken cancellationToken)
    {
        var payload = JsonSerializer.SerializeToUtf8Bytes(evnt, LambdaEventsJsonContext.Default.KinesisFirehoseEvent);
        string failure;
        for (var attempt = 1; ; attempt++)
        {
            var retryable = true;
            try
            {
                var result = await _invoker.InvokeAsync(payload, cancellationToken).ConfigureAwait(false);
                if (result.Succeeded)
                {
                    var outputs = FirehoseTransformContract.Reconcile(records, result.Payload.Span, _function, out var unknown);
                    Interlocked.Add(ref _unknown, unknown);
                    return outputs;
                }

                failure = $"{_function} failed ({result.FunctionError}): {System.Text.Encoding.UTF8.GetString(result.Payload.Span)}";
            }
            catch (LambdaInvokeException e) when (!e.IsRetryable)
            {
                failure = e.Message;
                retryable = false;
            }
            catch (Exception e) when (e is LambdaInvokeException or HttpRequestException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
                failure = $"Invoking {_function} failed: {e.Message}";
            }

            if (!retryable || attempt > _options.Retries)
            {
                var message = $"{failure} (after {attempt} attempt(s))";
                return [.. records.Select(r => TransformOutput.Failed(r, message))];
            }

            var ceiling = _options.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1);
            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * ceiling), _time, cancellationToken).ConfigureAwait(false);
        }
    }
}
