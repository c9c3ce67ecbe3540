using System.Globalization;
using System.Text.Json;
using StreamFunctions.Json;
using StreamFunctions.Windowing.Engine;
using StreamFunctions.Windowing.Windows;

namespace StreamFunctions.Aggregator;

/// <summary>Where an event's time comes from.</summary>
public enum EventTimeSource
{
    /// <summary>A field of the record: epoch milliseconds (number) or ISO 8601 (string).</summary>
    Field,

    /// <summary>The record's approximate arrival time in the stream.</summary>
    Arrival,
}

/// <summary>
/// An aggregator's configuration, read from JSON:
/// <code>
/// {"name": "orders", "key": ["$.customer"], "time": "$.ts", "window": {"type": "tumbling", "size": "1m"},
///  "outOfOrderness": "5s", "allowedLateness": "1m", "idleTimeout": "1m",
///  "aggregates": [{"name": "orders", "function": "count"}, {"name": "revenue", "function": "sum", "field": "$.amount"},
///                 {"name": "buyers", "function": "distinct", "field": "$.user"},
///                 {"name": "latency", "function": "quantiles", "field": "$.ms", "quantiles": [0.5, 0.99]},
///                 {"name": "pages", "function": "topk", "field": "$.page", "k": 5}]}
/// </code>
/// Windows: <c>tumbling</c> (size, offset), <c>sliding</c> (size, slide), <c>session</c> (gap), <c>count</c> (count).
/// Durations are <c>"250ms"</c>, <c>"5s"</c>, <c>"1m"</c>, <c>"2h"</c>, <c>"1d"</c> or milliseconds. <c>time</c> is a field path or
/// <c>"arrival"</c>. Functions: count, sum, min, max, avg, distinct, quantiles, topk.
/// </summary>
public sealed class AggregatorConfig
{
    private AggregatorConfig(AggregationSpec spec, IReadOnlyList<FieldPath> keys, FieldPath? time, IReadOnlyList<FieldPath> numbers, IReadOnlyList<FieldPath> items)
    {
        Spec = spec;
        KeyFields = keys;
        TimeField = time;
        NumericFields = numbers;
        ItemFields = items;
    }

    /// <summary>The aggregation the engine runs (columns numbered as <see cref="NumericFields"/> and <see cref="ItemFields"/>).</summary>
    public AggregationSpec Spec { get; }

    /// <summary>The group key's fields (joined with <c>|</c> when several).</summary>
    public IReadOnlyList<FieldPath> KeyFields { get; }

    /// <summary>The event-time field; null for arrival time.</summary>
    public FieldPath? TimeField { get; }

    /// <summary>The numeric columns' fields.</summary>
    public IReadOnlyList<FieldPath> NumericFields { get; }

    /// <summary>The item columns' fields.</summary>
    public IReadOnlyList<FieldPath> ItemFields { get; }

    /// <summary>Reads a configuration, JSON or YAML (the same settings).</summary>
    /// <param name="text">The JSON (it starts with <c>{</c>) or YAML.</param>
    /// <returns>The configuration.</returns>
    /// <exception cref="FormatException">Malformed; the message names the setting.</exception>
    public static AggregatorConfig Parse(string text)
    {
        using (var document = YamlToJson.ParseConfiguration(text, "The aggregator configuration is not JSON"))
        {
            var root = document.RootElement;
            Expect(root, JsonValueKind.Object, "the configuration");
            foreach (var p in root.EnumerateObject())
            {
                if (p.Name is not ("name" or "key" or "time" or "window" or "outOfOrderness" or "allowedLateness" or "idleTimeout" or "aggregates"))
                {
                    throw new FormatException($"Aggregator configuration: unknown setting '{p.Name}' (expected name, key, time, window, outOfOrderness, allowedLateness, idleTimeout, aggregates).");
                }
            }

            var name = Text(root, "name");
            if (!root.TryGetProperty("key", out var k))
            {
                throw new FormatException("Aggregator configuration: 'key' (a field path, or a list of them) is required.");
            }

            List<FieldPath> keys = k.ValueKind == JsonValueKind.Array ? [.. k.EnumerateArray().Select((e, i) => Path(e, $"key[{i}]"))] : [Path(k, "key")];
            var timeText = root.TryGetProperty("time", out var t) ? t.GetString() : "arrival";
            var time = timeText == "arrival" ? null : Path(t, "time");
            var numbers = new List<FieldPath>();
            var items = new List<FieldPath>();
            Expect(root.TryGetProperty("aggregates", out var a) ? a : default, JsonValueKind.Array, "aggregates");
            var aggregates = a.EnumerateArray().Select((e, i) => Aggregate(e, $"aggregates[{i}]", numbers, items)).ToList();
            try
            {
                var spec = new AggregationSpec
                {
                    Name = name,
                    Window = Window(root.TryGetProperty("window", out var w) ? w : throw new FormatException("Aggregator configuration: 'window' is required.")),
                    Aggregates = aggregates,
                    OutOfOrderness = Duration(root, "outOfOrderness") ?? TimeSpan.Zero,
                    AllowedLateness = Duration(root, "allowedLateness") ?? TimeSpan.Zero,
                    IdleTimeout = Duration(root, "idleTimeout"),
                }.Validate();
                return new AggregatorConfig(spec, keys, time, numbers, items);
            }
            catch (ArgumentException e)
            {
                throw new FormatException($"Aggregator configuration: {e.Message}", e);
            }
        }
    }

    /// <summary>Reads a duration: <c>250ms</c>, <c>5s</c>, <c>1m</c>, <c>2h</c>, <c>1d</c>, or a number of milliseconds.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The duration.</returns>
    /// <exception cref="FormatException">Not a duration.</exception>
    public static TimeSpan ParseDuration(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var unit = text.TrimStart("0123456789.".ToCharArray());
        var number = text[..^unit.Length];
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
        {
            throw new FormatException($"'{text}' is not a duration (e.g. 250ms, 5s, 1m, 2h, 1d).");
        }

        return unit switch
        {
            "" or "ms" => TimeSpan.FromMilliseconds(value),
            "s" => TimeSpan.FromSeconds(value),
            "m" => TimeSpan.FromMinutes(value),
            "h" => TimeSpan.FromHours(value),
            "d" => TimeSpan.FromDays(value),
            _ => throw new FormatException($"'{text}' has unit '{unit}'; use ms, s, m, h or d."),
        };
    }

    private static AggregateSpec Aggregate(JsonElement e, string where, List<FieldPath> numbers, List<FieldPath> items)
    {
        Expect(e, JsonValueKind.Object, where);
        var function = Text(e, "function", where) switch
        {
            "count" => AggregateFunction.Count,
            "sum" => AggregateFunction.Sum,
            "min" => AggregateFunction.Min,
            "max" => AggregateFunction.Max,
            "avg" or "mean" => AggregateFunction.Avg,
            "distinct" or "distinctCount" => AggregateFunction.DistinctCount,
            "quantiles" or "percentiles" => AggregateFunction.Quantiles,
            "topk" or "topK" => AggregateFunction.TopK,
            var other => throw new FormatException($"{where}.function: '{other}' is not one of count, sum, min, max, avg, distinct, quantiles, topk."),
        };
        var column = 0;
        if (function != AggregateFunction.Count)
        {
            var field = Path(e.TryGetProperty("field", out var f) ? f : throw new FormatException($"{where}: '{function}' needs a 'field'."), $"{where}.field");
            var columns = function is AggregateFunction.DistinctCount or AggregateFunction.TopK ? items : numbers;
            column = columns.FindIndex(c => c.Text == field.Text);
            if (column < 0)
            {
                columns.Add(field);
                column = columns.Count - 1;
            }
        }

        return new AggregateSpec
        {
            Name = e.TryGetProperty("name", out var n) ? n.GetString() ?? string.Empty : throw new FormatException($"{where}: 'name' is required."),
            Function = function,
            Column = column,
            Quantiles = e.TryGetProperty("quantiles", out var q) ? [.. q.EnumerateArray().Select(x => x.GetDouble())] : [0.5, 0.9, 0.99],
            RelativeAccuracy = e.TryGetProperty("relativeAccuracy", out var r) ? r.GetDouble() : 0.01,
            Precision = e.TryGetProperty("precision", out var p) ? p.GetInt32() : 12,
            K = e.TryGetProperty("k", out var kk) ? kk.GetInt32() : 10,
            Capacity = e.TryGetProperty("capacity", out var c) ? c.GetInt32() : 0,
        };
    }

    private static WindowSpec Window(JsonElement w)
    {
        Expect(w, JsonValueKind.Object, "window");
        try
        {
            return Text(w, "type", "window") switch
            {
                "tumbling" => WindowSpec.Tumbling(Duration(w, "size", "window") ?? throw new FormatException("window: tumbling needs 'size'."), Duration(w, "offset", "window") ?? TimeSpan.Zero),
                "sliding" or "hopping" => WindowSpec.Sliding(Duration(w, "size", "window") ?? throw new FormatException("window: sliding needs 'size'."), Duration(w, "slide", "window") ?? throw new FormatException("window: sliding needs 'slide'."), Duration(w, "offset", "window") ?? TimeSpan.Zero),
                "session" => WindowSpec.Session(Duration(w, "gap", "window") ?? throw new FormatException("window: session needs 'gap'.")),
                "count" => WindowSpec.CountOf(w.TryGetProperty("count", out var c) && c.TryGetInt64(out var n) ? n : throw new FormatException("window: count needs 'count' (a whole number).")),
                var other => throw new FormatException($"window.type: '{other}' is not tumbling, sliding, session or count."),
            };
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new FormatException($"window: {e.Message}", e);
        }
    }

    // A duration named by its path (window.size, outOfOrderness), in the settings' message style.
    private static TimeSpan? Duration(JsonElement parent, string name, string? section = null)
    {
        if (!parent.TryGetProperty(name, out var value))
        {
            return null;
        }

        try
        {
            return value.ValueKind == JsonValueKind.Number ? TimeSpan.FromMilliseconds(value.GetDouble())
                : value.ValueKind == JsonValueKind.String ? ParseDuration(value.GetString()!)
                : throw new FormatException(value.ValueKind.ToString());
        }
        catch (FormatException e)
        {
            var shown = value.ValueKind == JsonValueKind.String ? $"'{value.GetString()}'" : value.GetRawText();
            throw new FormatException($"{(section is null ? name : $"{section}.{name}")} is {shown}; it must be a duration (e.g. 250ms, 5s, 1m, 2h, 1d) or a number of milliseconds.", e);
        }
    }

    private static FieldPath Path(JsonElement e, string where)
    {
        try
        {
            var text = e.ValueKind == JsonValueKind.String ? e.GetString()! : throw new FormatException("a field path string is required.");
            return FieldPath.Parse(text.StartsWith('.') ? "$" + text : text);
        }
        catch (FormatException ex)
        {
            throw new FormatException($"Aggregator configuration: {where}: {ex.Message}", ex);
        }
    }

    private static string Text(JsonElement e, string name, string where = "the configuration") =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s
            ? s
            : throw new FormatException($"Aggregator configuration: {where} needs '{name}' (text).");

    private static void Expect(JsonElement e, JsonValueKind kind, string where)
    {
        if (e.ValueKind != kind)
        {
            throw new FormatException($"Aggregator configuration: {where} is {(kind == JsonValueKind.Array ? "a list" : "an object")}.");
        }
    }
}
