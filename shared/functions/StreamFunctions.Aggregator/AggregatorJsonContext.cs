using System.Text.Json.Serialization;

namespace StreamFunctions.Aggregator;

/// <summary>Source-generated JSON for the aggregator's own values (AOT-safe).</summary>
[JsonSerializable(typeof(string))]
internal sealed partial class AggregatorJsonContext : JsonSerializerContext;
