using System.Buffers;
using System.Globalization;
using System.Text.Json;
using StreamFunctions.Json;
using StreamFunctions.KinesisApi;
using StreamFunctions.Records.Kpl;

namespace StreamFunctions.Aggregator;

/// <summary>One record of a shard or partition, as read from Kinesis (possibly a KPL aggregate) or Kafka.</summary>
/// <param name="Sequence">The sequence number, or the Kafka offset.</param>
/// <param name="PartitionKey">The partition key, or the Kafka message key.</param>
/// <param name="Arrival">Kinesis's approximate arrival time, or the Kafka record's timestamp.</param>
/// <param name="Data">The payload.</param>
/// <param name="MayBeAggregated">Whether the payload may be a KPL aggregate (Kinesis).</param>
internal sealed record InputRecord(string Sequence, string? PartitionKey, DateTimeOffset Arrival, ReadOnlyMemory<byte> Data, bool MayBeAggregated);

/// <summary>Reads records into the engine's columns (key, event time, numbers, items), one scan per user record; and writes side-output lines.</summary>
internal sealed class RecordReader(AggregatorConfig config)
{
    private readonly AggregatorConfig _config = config;
    private readonly JsonFieldScanner _scanner = new([.. config.KeyFields, .. config.TimeField is { } t ? [t] : Array.Empty<FieldPath>(), .. config.NumericFields, .. config.ItemFields]);

    // Every user record read in one scan: the key fields, the time, the numeric and item columns.
    public Columns Read(IReadOnlyList<InputRecord> records)
    {
        var columns = new Columns();
        var values = new JsonValueSpan[_scanner.Count];
        var keyCount = _config.KeyFields.Count;
        var timeAt = keyCount;
        var numbersAt = keyCount + (_config.TimeField is null ? 0 : 1);
        var itemsAt = numbersAt + _config.NumericFields.Count;

        // The one batch de-aggregation (a corrupt aggregate is one entry with its error).
        var data = new ReadOnlyMemory<byte>[records.Count];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = records[i].Data;
        }

        var users = new List<DeaggregatedRecord>(records.Count);
        KplBatchDeaggregator.Deaggregate(data, records.Count > 0 && records[0].MayBeAggregated, users, []);
        foreach (var user in users)
        {
            var record = records[user.Source];
            if (user.Error is not null)
            {
                columns.Invalid.Add((new Source(record, 0, record.Data), $"Corrupt KPL aggregate: {user.ErrorMessage}"));
                continue;
            }

            var source = new Source(record, user.Subsequence, user.Data);
            var json = user.Data.Span;
            if (!_scanner.TryScan(json, values, out var error))
            {
                columns.Invalid.Add((source, $"The record is not JSON: {error}"));
                continue;
            }

            string? problem = null;
            string? key = null;
            for (var k = 0; k < keyCount && problem is null; k++)
            {
                var part = RawJson.ScalarText(values[k].Of(json));
                problem = part is null ? $"The key field {_config.KeyFields[k]} is missing or not a string, number or boolean." : null;
                key = k == 0 ? part : key + "|" + part;
            }

            // Results are written under the group key (a Kinesis partition key, a DynamoDB key): one they cannot
            // take would fail every batch that holds the record.
            if (problem is null && key!.Length > PartitionKeys.MaxLength)
            {
                problem = $"The group key is {key.Length} characters; results are keyed by it, which takes at most {PartitionKeys.MaxLength} (a Kinesis partition key).";
            }

            long time = 0;
            if (problem is null)
            {
                problem = _config.TimeField is null
                    ? Assign(out time, record.Arrival.ToUnixTimeMilliseconds())
                    : EventTime(values[timeAt].Of(json), out time);
            }

            var numbers = new double[_config.NumericFields.Count];
            for (var c = 0; problem is null && c < numbers.Length; c++)
            {
                var raw = values[numbersAt + c].Of(json);
                numbers[c] = raw.IsEmpty || RawJson.Kind(raw) == JsonValueKind.Null ? double.NaN
                    : RawJson.Kind(raw) == JsonValueKind.Number && RawJson.TryGetDouble(raw, out var x) ? x
                    : double.NaN;
                if (!raw.IsEmpty && RawJson.Kind(raw) is not (JsonValueKind.Number or JsonValueKind.Null))
                {
                    problem = $"The field {_config.NumericFields[c]} is {RawJson.Kind(raw).ToString().ToLowerInvariant()}, not a number.";
                }
            }

            if (problem is not null)
            {
                columns.Invalid.Add((source, problem));
                continue;
            }

            columns.Keys.Add(key!);
            columns.Times.Add(time);
            columns.Numbers.AddRange(numbers);
            for (var c = 0; c < _config.ItemFields.Count; c++)
            {
                columns.Items.Add(RawJson.ScalarText(values[itemsAt + c].Of(json)));
            }

            columns.Sources.Add(source);
        }

        return columns;
    }

    private static string? Assign(out long time, long value)
    {
        time = value;
        return null;
    }

    private string? EventTime(ReadOnlySpan<byte> raw, out long time)
    {
        time = 0;
        switch (RawJson.Kind(raw))
        {
            case JsonValueKind.Number when RawJson.TryGetDouble(raw, out var ms) && double.IsFinite(ms):
                time = (long)ms;
                return null;
            case JsonValueKind.String when RawJson.TryGetString(raw, out var text) && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at):
                time = at.ToUnixTimeMilliseconds();
                return null;
            case JsonValueKind.Undefined:
                return $"The time field {_config.TimeField} is missing.";
            default:
                return $"The time field {_config.TimeField} is neither epoch milliseconds nor an ISO 8601 time.";
        }
    }

    public static void WriteSide(ArrayBufferWriter<byte> side, string reason, string message, Source source, long? eventTime)
    {
        using (var writer = new Utf8JsonWriter(side))
        {
            writer.WriteStartObject();
            writer.WriteString("reason", reason);
            writer.WriteString("message", message);
            writer.WriteString("sequenceNumber", source.Record.Sequence);
            writer.WriteNumber("subSequenceNumber", source.Subsequence);
            writer.WriteString("partitionKey", source.Record.PartitionKey);
            writer.WriteNumber("approximateArrivalTimestamp", source.Record.Arrival.ToUnixTimeMilliseconds());
            if (eventTime is { } t)
            {
                writer.WriteNumber("eventTime", t);
            }

            writer.WriteBase64String("data", source.Data.Span);
            writer.WriteEndObject();
        }

        side.Write("\n"u8);
    }

    public sealed record Source(InputRecord Record, long Subsequence, ReadOnlyMemory<byte> Data);

    public sealed class Columns
    {
        public List<string> Keys { get; } = [];

        public List<long> Times { get; } = [];

        public List<double> Numbers { get; } = [];

        public List<string?> Items { get; } = [];

        public List<Source> Sources { get; } = [];

        public List<(Source Source, string Reason)> Invalid { get; } = [];
    }
}
