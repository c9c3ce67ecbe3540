using StreamFunctions.Local.EventSourceMapping.Exceptions;

namespace StreamFunctions.Local.EventSourceMapping.Tests;

public sealed class KinesisEventSourceOptionsTests
{
    [Fact]
    public void Defaults_AreLambdasDocumentedDefaults()
    {
        var options = new KinesisEventSourceOptions();

        Assert.Equal(100, options.BatchSize);
        Assert.Equal(0, options.MaximumBatchingWindowInSeconds);
        Assert.Equal(1, options.ParallelizationFactor);
        Assert.False(options.BisectBatchOnFunctionError);
        Assert.False(options.ReportBatchItemFailures);
        Assert.Equal(-1, options.MaximumRetryAttempts);
        Assert.Equal(-1, options.MaximumRecordAgeInSeconds);
        Assert.Equal(0, options.TumblingWindowInSeconds);
        Assert.Null(options.StartingPositionTimestamp);
    }

    [Theory]
    [InlineData(nameof(KinesisEventSourceOptions.BatchSize), 0)]
    [InlineData(nameof(KinesisEventSourceOptions.BatchSize), 10_001)]
    [InlineData(nameof(KinesisEventSourceOptions.MaximumBatchingWindowInSeconds), -1)]
    [InlineData(nameof(KinesisEventSourceOptions.MaximumBatchingWindowInSeconds), 301)]
    [InlineData(nameof(KinesisEventSourceOptions.ParallelizationFactor), 0)]
    [InlineData(nameof(KinesisEventSourceOptions.ParallelizationFactor), 11)]
    [InlineData(nameof(KinesisEventSourceOptions.MaximumRetryAttempts), -2)]
    [InlineData(nameof(KinesisEventSourceOptions.MaximumRetryAttempts), 10_001)]
    [InlineData(nameof(KinesisEventSourceOptions.MaximumRecordAgeInSeconds), -2)]
    [InlineData(nameof(KinesisEventSourceOptions.MaximumRecordAgeInSeconds), 0)]
    [InlineData(nameof(KinesisEventSourceOptions.MaximumRecordAgeInSeconds), 604_801)]
    [InlineData(nameof(KinesisEventSourceOptions.TumblingWindowInSeconds), -1)]
    [InlineData(nameof(KinesisEventSourceOptions.TumblingWindowInSeconds), 901)]
    public void Validate_OutOfRange_NamesTheOptionAndItsRange(string option, int value)
    {
        var options = new KinesisEventSourceOptions { StreamName = "s" };
        typeof(KinesisEventSourceOptions).GetProperty(option)!.SetValue(options, value);

        var error = Assert.Throws<EventSourceOptionsException>(options.Validate);

        Assert.Equal(option, error.Option);
        Assert.Contains(value.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(nameof(KinesisEventSourceOptions.BatchSize), 10_000)]
    [InlineData(nameof(KinesisEventSourceOptions.MaximumBatchingWindowInSeconds), 300)]
    [InlineData(nameof(KinesisEventSourceOptions.ParallelizationFactor), 10)]
    [InlineData(nameof(KinesisEventSourceOptions.MaximumRetryAttempts), 10_000)]
    [InlineData(nameof(KinesisEventSourceOptions.MaximumRecordAgeInSeconds), 604_800)]
    [InlineData(nameof(KinesisEventSourceOptions.TumblingWindowInSeconds), 900)]
    public void Validate_AtTheUpperBound_Passes(string option, int value)
    {
        var options = new KinesisEventSourceOptions { StreamName = "s" };
        typeof(KinesisEventSourceOptions).GetProperty(option)!.SetValue(options, value);

        options.Validate();

        Assert.Equal(value, typeof(KinesisEventSourceOptions).GetProperty(option)!.GetValue(options));
    }

    [Fact]
    public void Validate_AtTimestampWithoutTimestamp_NamesTheTimestamp()
    {
        var options = new KinesisEventSourceOptions { StreamName = "s", StartingPosition = StartingPosition.AtTimestamp };

        var error = Assert.Throws<EventSourceOptionsException>(options.Validate);

        Assert.Equal(nameof(KinesisEventSourceOptions.StartingPositionTimestamp), error.Option);
    }

    [Fact]
    public void Validate_TimestampWithoutAtTimestamp_IsRejected()
    {
        var options = new KinesisEventSourceOptions { StreamName = "s", StartingPositionTimestamp = DateTimeOffset.UnixEpoch };

        Assert.Equal(nameof(KinesisEventSourceOptions.StartingPositionTimestamp), Assert.Throws<EventSourceOptionsException>(options.Validate).Option);
    }

    [Theory]
    [InlineData("")]
    [InlineData("arn:aws:kinesis:us-east-1:000000000000:table/x")]
    public void Validate_BadStream_NamesStreamName(string stream)
    {
        var options = new KinesisEventSourceOptions { StreamName = stream };

        Assert.Equal(nameof(KinesisEventSourceOptions.StreamName), Assert.Throws<EventSourceOptionsException>(options.Validate).Option);
    }

    [Fact]
    public void Constructor_WithInvalidOptions_Throws()
    {
        var options = new KinesisEventSourceOptions { StreamName = "s", BatchSize = 0 };

        using var kinesis = Testing.Kinesis.FaultInjectingKinesis.OnTempFolder();

        Assert.Throws<EventSourceOptionsException>(() =>
            new KinesisEventSourceMapping(kinesis, new Support.RecordingInvoker(), options));
    }
}
