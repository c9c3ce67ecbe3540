using StreamFunctions.Lambda.Runtime;

namespace StreamFunctions.Local.Lambda.Tests;

/// <summary>The two deadline policies: the margin kept back from an invocation's deadline, and its floor.</summary>
public sealed class InvocationDeadlineTests
{
    [Theory]
    [InlineData(300_000, 30_000)] // a 5-minute invocation keeps a tenth back
    [InlineData(5_000, 500)] // 5 s: a tenth is exactly the floor
    [InlineData(3_000, 500)] // 3 s: a tenth (300 ms) is under the floor of 500 ms
    [InlineData(0, 500)] // no time left: still the floor, so the deadline is already past
    public void Retries_KeepsATenthOfTheTimeLeft_AtLeastHalfASecond(int remainingMs, int marginMs) =>
        Assert.Equal(TimeSpan.FromMilliseconds(marginMs), InvocationDeadline.Retries.Margin(TimeSpan.FromMilliseconds(remainingMs)));

    [Theory]
    [InlineData(900_000, 180_000)] // the sink's 15-minute maximum keeps 3 minutes for a flush already started
    [InlineData(300_000, 60_000)] // the template's 300 s timeout: one minute
    [InlineData(5_000, 1_000)] // a fifth is exactly the floor
    [InlineData(2_000, 1_000)] // under the floor of 1 s
    public void Flushes_KeepsAFifthOfTheTimeLeft_AtLeastOneSecond(int remainingMs, int marginMs) =>
        Assert.Equal(TimeSpan.FromMilliseconds(marginMs), InvocationDeadline.Flushes.Margin(TimeSpan.FromMilliseconds(remainingMs)));

    [Fact]
    public void Of_IsTheInvocationsDeadlineLessTheMarginOfItsTimeLeft()
    {
        var deadline = new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);
        var context = new Context(deadline, TimeSpan.FromSeconds(60));

        Assert.Equal(deadline - TimeSpan.FromSeconds(6), InvocationDeadline.Retries.Of(context));
        Assert.Equal(deadline - TimeSpan.FromSeconds(12), InvocationDeadline.Flushes.Of(context));
    }

    [Fact]
    public void Of_WithoutAContext_SaysSo() =>
        Assert.Throws<ArgumentNullException>("context", () => InvocationDeadline.Retries.Of(null!));

    private sealed class Context(DateTimeOffset deadline, TimeSpan remaining) : ILambdaContext
    {
        public string AwsRequestId => "request";

        public string InvokedFunctionArn => "arn:aws:lambda:us-east-1:123456789012:function:f";

        public string FunctionName => "f";

        public string FunctionVersion => "$LATEST";

        public int MemoryLimitInMB => 128;

        public DateTimeOffset Deadline => deadline;

        public TimeSpan RemainingTime => remaining;

        public string? TraceId => null;

        public LambdaLogger Logger => throw new NotSupportedException("not used by the deadline");
    }
}
