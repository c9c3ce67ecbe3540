namespace StreamFunctions.Lambda.Runtime;

/// <summary>
/// When a handler stops starting work, so that it still answers before Lambda stops the invocation: the invocation's
/// deadline less a margin of a share of the time left, and at least a minimum. Each handler uses one of the named
/// policies, defined here and nowhere else.
/// </summary>
/// <param name="Minimum">The smallest margin.</param>
/// <param name="Divisor">The margin is the time left divided by this, when that is more than <paramref name="Minimum"/>.</param>
public sealed record InvocationDeadline(TimeSpan Minimum, int Divisor)
{
    /// <summary>
    /// For handlers whose last step is one more write attempt (the Gateway's and the Router's retries): a tenth of the
    /// time left, at least 500 ms, enough to shape and send the answer after the last attempt.
    /// </summary>
    public static InvocationDeadline Retries { get; } = new(TimeSpan.FromMilliseconds(500), 10);

    /// <summary>
    /// For the S3 sink, which stops starting flushes at the deadline: a fifth of the time left, at least 1 s, because a
    /// flush already started (a multipart upload of up to 128 MiB and its state write) must still complete after it.
    /// </summary>
    public static InvocationDeadline Flushes { get; } = new(TimeSpan.FromSeconds(1), 5);

    /// <summary>The time to stop starting work in this invocation.</summary>
    /// <param name="context">The invocation.</param>
    /// <returns>Its deadline less the margin.</returns>
    public DateTimeOffset Of(ILambdaContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Deadline - Margin(context.RemainingTime);
    }

    /// <summary>The margin kept back when <paramref name="remaining"/> is left.</summary>
    /// <param name="remaining">The invocation's time left.</param>
    /// <returns>The larger of <see cref="Minimum"/> and <paramref name="remaining"/> / <see cref="Divisor"/>.</returns>
    public TimeSpan Margin(TimeSpan remaining) => TimeSpan.FromTicks(Math.Max(Minimum.Ticks, remaining.Ticks / Divisor));
}
