using System.Text.Json;
using StreamFunctions.Aws.Exceptions;

namespace StreamFunctions.Aws.Tests;

public sealed class SettingsReaderTests
{
    private static SettingsReader CreateSut(params (string Name, string Value)[] variables) =>
        new(EnvironmentVariables.From(variables.ToDictionary(v => v.Name, v => v.Value)));

    private static string Error(Action read) => Assert.Throws<AwsConfigurationException>(read).Message;

    [Theory]
    [InlineData(null, 5)]
    [InlineData("", 5)]
    [InlineData(" 1 ", 1)]
    [InlineData("128", 128)]
    public void Number_InRangeOrUnset_IsTheValueOrTheDefault(string? value, int expected)
    {
        var sut = value is null ? CreateSut() : CreateSut(("SIZE", value));

        Assert.Equal(expected, sut.Number("SIZE", 5, 1, 128, "MiB"));
    }

    [Theory]
    [InlineData("999")]
    [InlineData("0")]
    [InlineData("abc")]
    [InlineData("1.5")]
    [InlineData("99999999999")]
    public void Number_OutOfRangeOrNotWhole_NamesTheSettingTheValueAndTheRange(string value)
    {
        var sut = CreateSut(("SINK_BUFFER_SIZE_MB", value));

        Assert.Equal($"SINK_BUFFER_SIZE_MB is '{value}'; it must be a whole number from 1 to 128 (MiB).", Error(() => sut.Number("SINK_BUFFER_SIZE_MB", 5, 1, 128, "MiB")));
    }

    [Fact]
    public void Duration_IsWholeUnits_InItsRange()
    {
        var sut = CreateSut(("WINDOW", "90"), ("BAD", "-1"));

        Assert.Equal(TimeSpan.FromMinutes(90), sut.Duration("WINDOW", DurationUnit.Minutes, 60, 1, 10_080));
        Assert.Equal(TimeSpan.FromSeconds(300), sut.Duration("UNSET", DurationUnit.Seconds, 300, 0, 900));
        Assert.Equal("BAD is '-1'; it must be a whole number of seconds from 0 to 900.", Error(() => sut.Duration("BAD", DurationUnit.Seconds, 300, 0, 900)));
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("False", false)]
    [InlineData("TRUE", true)]
    public void Flag_TrueOrFalse_InAnyCase(string value, bool expected)
    {
        Assert.Equal(expected, CreateSut(("FLAG", value)).Flag("FLAG", !expected));
    }

    [Theory]
    [InlineData("yes")]
    [InlineData("1")]
    [InlineData("on")]
    public void Flag_AnythingElse_IsAnErrorNotFalse(string value)
    {
        var sut = CreateSut(("KINESIS_AGGREGATE", value));

        Assert.Equal($"KINESIS_AGGREGATE is '{value}'; it must be true or false.", Error(() => sut.Flag("KINESIS_AGGREGATE", false)));
    }

    [Fact]
    public void OneOf_MatchesAnyCase_AndListsTheChoices()
    {
        var sut = CreateSut(("ORDERING", "Per-Key"), ("FORMAT", "csv"));

        Assert.Equal(1, sut.OneOf("ORDERING", 0, ("per-key", 1), ("none", 2)));
        Assert.Equal(2, sut.OneOf("UNSET", 2, ("per-key", 1), ("none", 2)));
        Assert.Equal("FORMAT is 'csv'; it must be one of jsonl, parquet.", Error(() => sut.OneOf("FORMAT", "jsonl", "jsonl", "parquet")));
    }

    [Fact]
    public void Required_Unset_SaysWhatItMustBe()
    {
        Assert.Equal("SINK_BUCKET is not set; it must be the destination bucket's name.", Error(() => CreateSut(("SINK_BUCKET", "  ")).Required("SINK_BUCKET", "the destination bucket's name")));
    }

    [Theory]
    [InlineData("notjson", "SINK_PARTITION_KEYS is 'notjson'; it must be a JSON object of strings, e.g. {\"c\": \".c\"}: 'notjson' is an invalid JSON literal")]
    [InlineData("[1]", "SINK_PARTITION_KEYS is '[1]'; it must be a JSON object of strings, e.g. {\"c\": \".c\"}.")]
    [InlineData("{\"c\": 1}", "SINK_PARTITION_KEYS is '{\"c\": 1}'; it must be a JSON object of strings, e.g. {\"c\": \".c\"} ('c' is not a string).")]
    public void JsonObject_NotAnObjectOfStrings_IsAnError(string value, string expected)
    {
        var sut = CreateSut(("SINK_PARTITION_KEYS", value));

        var error = Assert.Throws<AwsConfigurationException>(() => sut.JsonObject("SINK_PARTITION_KEYS", "{\"c\": \".c\"}"));

        Assert.StartsWith(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void JsonObject_OfStrings_ReadsEveryEntry()
    {
        var keys = CreateSut(("KEYS", """{"customer": ".customer.id", "type": ".type"}""")).JsonObject("KEYS", "{}");

        Assert.Equal(new Dictionary<string, string> { ["customer"] = ".customer.id", ["type"] = ".type" }, keys);
    }

    [Fact]
    public void Sha256Digests_AcceptsHexInAnyCase_AndRefusesAnythingElse()
    {
        var digest = new string('A', 64);
        var sut = CreateSut(("KEYS", $"{digest}, {new string('b', 64)},"), ("BAD", "not-hex"), ("SHORT", new string('a', 63)));

        Assert.Equal([new string('a', 64), new string('b', 64)], sut.Sha256Digests("KEYS"));
        Assert.Equal("BAD is 'not-hex'; it must be a comma-separated list of SHA-256 digests (64 hex digits each).", Error(() => sut.Sha256Digests("BAD")));
        Assert.StartsWith("SHORT is 'aaa", Error(() => sut.Sha256Digests("SHORT")), StringComparison.Ordinal);
    }

    [Fact]
    public void Pairs_NeverShowTheValue()
    {
        var sut = CreateSut(("KAFKA_PROPERTIES", "sasl.username=u; sasl.password=hunter2 ;"), ("BAD", "sasl.username=u;hunter2"));

        Assert.Equal(new Dictionary<string, string> { ["sasl.username"] = "u", ["sasl.password"] = "hunter2" }, sut.Pairs("KAFKA_PROPERTIES"));
        var error = Error(() => sut.Pairs("BAD"));
        Assert.Equal("BAD is set (not shown: it may hold secrets); it must be name=value pairs separated by ';': entry 2 is not name=value.", error);
        Assert.DoesNotContain("hunter2", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parsed_TheParsersComplaint_BecomesTheReasonWithTheParsersExceptionInside()
    {
        var sut = CreateSut(("RULES", "{\"routes\": 3}"));

        var error = Assert.Throws<AwsConfigurationException>(() => sut.Parsed<string>("RULES", _ => throw new FormatException("routes is a list.\nSee the example."), "routing rules as JSON"));

        Assert.Equal("RULES is '{\"routes\": 3}'; it must be routing rules as JSON: routes is a list. See the example.", error.Message);
        Assert.IsType<FormatException>(error.InnerException);
    }

    [Fact]
    public void Parsed_AnUnexpectedException_IsNotAConfigurationError()
    {
        var sut = CreateSut(("RULES", "x"));

        Assert.Throws<InvalidOperationException>(() => sut.Parsed<string>("RULES", _ => throw new InvalidOperationException("a bug"), "rules"));
    }

    [Fact]
    public void Parsed_FromAFile_InlineWins_AndAFileThatCannotBeReadIsNamed()
    {
        var folder = Directory.CreateTempSubdirectory("sfn-settings-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(folder, "rules.json"), "from file");
            var fromFile = CreateSut(("LAMBDA_TASK_ROOT", folder), ("RULES_FILE", "rules.json"));
            var both = CreateSut(("LAMBDA_TASK_ROOT", folder), ("RULES", "inline"), ("RULES_FILE", "rules.json"));
            var missing = CreateSut(("LAMBDA_TASK_ROOT", folder), ("RULES_FILE", "nope.json"));

            Assert.Equal("from file", fromFile.Parsed("RULES", "RULES_FILE", t => t, "rules"));
            Assert.Equal("inline", both.Parsed("RULES", "RULES_FILE", t => t, "rules"));
            Assert.Null(CreateSut().Parsed("RULES", "RULES_FILE", t => t, "rules"));
            Assert.StartsWith("RULES_FILE is 'nope.json'; it must be a readable file (relative to LAMBDA_TASK_ROOT, or absolute) of rules: Could not find file", Error(() => missing.Parsed("RULES", "RULES_FILE", t => t, "rules")), StringComparison.Ordinal);
            Assert.Equal("RULES_FILE is 'rules.json'; it must be a file of rules: bad.", Error(() => fromFile.Parsed<string>("RULES", "RULES_FILE", _ => throw new JsonException("bad."), "rules")));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Parsed_FromAFileOverOneMebibyte_RefusedByItsSizeBeforeItIsRead()
    {
        var folder = Directory.CreateTempSubdirectory("sfn-settings-").FullName;
        try
        {
            using (var big = File.Create(Path.Combine(folder, "rules.json")))
            {
                big.SetLength(EnvironmentVariables.MaxFileBytes + 1);
            }

            var sut = CreateSut(("LAMBDA_TASK_ROOT", folder), ("RULES_FILE", "rules.json"));

            Assert.Equal("RULES_FILE is 'rules.json'; it must be a file of at most 1,048,576 bytes (it has 1,048,577).", Error(() => sut.Parsed("RULES", "RULES_FILE", t => t, "rules")));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Parsed_FromAFileWithoutASize_RefusedAfterOneByteOverTheLimit()
    {
        // /dev/zero says its size is 0 and never ends: read to one byte past 1 MiB and refused, not read without end.
        var sut = CreateSut(("RULES_FILE", "/dev/zero"));

        Assert.Equal("RULES_FILE is '/dev/zero'; it must be a file of at most 1,048,576 bytes (it holds more).", Error(() => sut.Parsed("RULES", "RULES_FILE", t => t, "rules")));
    }

    [Fact]
    public void Describe_LongOrMultiLineValues_StayOnOneShortLine()
    {
        var message = SettingsReader.Describe("CONFIG", "{\n" + new string('x', 200) + "\n}", "JSON");

        Assert.DoesNotContain('\n', message);
        Assert.StartsWith("CONFIG is '{\\n" + new string('x', 77) + "…'; it must be JSON.", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_AnArgumentExceptionsReason_LeavesOutItsParameterName()
    {
        var message = SettingsReader.Describe("SINK_PREFIX", "x", "a prefix", new ArgumentException("Prefix: unknown expression.", "Prefix"));

        Assert.Equal("SINK_PREFIX is 'x'; it must be a prefix: Prefix: unknown expression.", message);
    }
}
