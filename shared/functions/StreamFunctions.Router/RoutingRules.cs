using System.Text.Json;
using StreamFunctions.Json;
using StreamFunctions.KinesisApi;
using StreamFunctions.Producers.Placement;

namespace StreamFunctions.Router;

/// <summary>Where one record goes: a destination (<c>kinesis:stream</c> or <c>kafka:topic</c>) and the partition key to write it with.</summary>
/// <param name="Destination">The destination.</param>
/// <param name="PartitionKey">The Kinesis partition key or Kafka message key.</param>
/// <param name="Route">The name of the route that sent it there (<c>unmatched</c> for the unmatched destinations).</param>
public readonly record struct RouteTarget(string Destination, string PartitionKey, string Route);

/// <summary>What to do with a record no route matches.</summary>
public enum UnmatchedAction
{
    /// <summary>Drop it (counted, not written).</summary>
    Drop,

    /// <summary>Send it to the DLQ archive as poison, with the reason <c>NoRouteMatched</c>.</summary>
    Dlq,

    /// <summary>Fail it, so the shard waits until the rules change (Lambda retries it).</summary>
    Fail,

    /// <summary>Write it to the unmatched destinations.</summary>
    Forward,
}

/// <summary>The decision for one record.</summary>
public sealed class RoutingDecision
{
    private RoutingDecision(IReadOnlyList<RouteTarget> targets, string? error, bool unmatched)
    {
        Targets = targets;
        Error = error;
        Unmatched = unmatched;
    }

    /// <summary>Where to write the record (empty when it is dropped or failed).</summary>
    public IReadOnlyList<RouteTarget> Targets { get; }

    /// <summary>Why the record cannot be routed (a poison record), or null.</summary>
    public string? Error { get; }

    /// <summary>No route matched.</summary>
    public bool Unmatched { get; }

    internal static RoutingDecision To(IReadOnlyList<RouteTarget> targets, bool unmatched = false) => new(targets, null, unmatched);

    internal static RoutingDecision Poison(string error, bool unmatched = false) => new([], error, unmatched);
}

/// <summary>One route: a pattern over record fields, the destinations of matching records, and how to key them.</summary>
public sealed class Route
{
    internal Route(string name, FieldMatch? match, IReadOnlyList<string> to, FieldPath? partitionKey, HotKeySpreader? hotKeys)
    {
        Name = name;
        Match = match;
        To = to;
        PartitionKey = partitionKey;
        HotKeys = hotKeys;
    }

    /// <summary>The route's name (for logs and errors).</summary>
    public string Name { get; }

    /// <summary>Every field must match one of its conditions; null (or no fields) matches every record.</summary>
    public FieldMatch? Match { get; }

    /// <summary>The destinations.</summary>
    public IReadOnlyList<string> To { get; }

    /// <summary>The field the new partition key is read from; null keeps the record's key.</summary>
    public FieldPath? PartitionKey { get; }

    /// <summary>Hot keys to spread over salted keys, if configured.</summary>
    public HotKeySpreader? HotKeys { get; }

    internal bool NeedsJson => Match is { Count: > 0 } || PartitionKey is not null;
}

/// <summary>
/// Content-based routing rules, read from JSON:
/// <code>
/// {
///   "mode": "all",                                   // "all" matching routes (default) or the "first"
///   "routes": [
///     { "name": "eu-orders",
///       "match": { "$.region": ["eu"], "$.total": [{ "numeric": ["&gt;=", 100] }] },
///       "to": ["kinesis:orders-eu", "kafka:orders-eu"],
///       "partitionKey": "$.customerId",              // optional: the new key; else the record's own
///       "hotKeys": { "keys": ["bulk-importer"], "salts": 8 } }
///   ],
///   "unmatched": "drop" | "dlq" | "fail" | { "to": ["kinesis:rest"] }
/// }
/// </code>
/// Field conditions are EventBridge patterns (see <see cref="FieldCondition"/>); all fields of a route must
/// match. <c>unmatched</c> is required unless a route matches everything, so no record is dropped without
/// being asked for. A record that a matching route cannot key (not JSON, key field missing or not a
/// string/number, key longer than 256 characters) is poison: it goes to the DLQ archive, never half-routed.
/// </summary>
public sealed class RoutingRules
{
    /// <summary>Kinesis's partition key limit, which routed keys must keep.</summary>
    public const int MaxPartitionKeyLength = PartitionKeys.MaxLength;

    private readonly bool _needsJson;

    private RoutingRules(IReadOnlyList<Route> routes, bool firstMatch, UnmatchedAction unmatched, IReadOnlyList<string> unmatchedTo)
    {
        Routes = routes;
        FirstMatchOnly = firstMatch;
        Unmatched = unmatched;
        UnmatchedTo = unmatchedTo;
        _needsJson = routes.Any(r => r.NeedsJson);
    }

    /// <summary>The routes, in order.</summary>
    public IReadOnlyList<Route> Routes { get; }

    /// <summary>Only the first matching route applies (else all matching routes do: fan-out).</summary>
    public bool FirstMatchOnly { get; }

    /// <summary>What happens to records no route matches.</summary>
    public UnmatchedAction Unmatched { get; }

    /// <summary>The destinations of unmatched records when <see cref="Unmatched"/> is <see cref="UnmatchedAction.Forward"/>.</summary>
    public IReadOnlyList<string> UnmatchedTo { get; }

    /// <summary>Every destination the rules can write to.</summary>
    public IReadOnlyList<string> Destinations => [.. Routes.SelectMany(r => r.To).Concat(UnmatchedTo).Distinct(StringComparer.Ordinal)];

    /// <summary>Rules that send every record to the given destinations with its own key (a bridge, e.g. Kinesis → Kafka).</summary>
    /// <param name="destinations">The destinations.</param>
    /// <returns>The rules.</returns>
    public static RoutingRules Bridge(params string[] destinations)
    {
        ArgumentNullException.ThrowIfNull(destinations);
        foreach (var destination in destinations)
        {
            CheckDestination(destination, "bridge");
        }

        return new RoutingRules([new Route("bridge", null, destinations, null, null)], false, UnmatchedAction.Fail, []);
    }

    /// <summary>Reads rules from JSON.</summary>
    /// <param name="json">The rules.</param>
    /// <returns>The rules.</returns>
    /// <exception cref="FormatException">The rules are invalid; the message names the place (e.g. <c>routes[2].match.$.total[0]</c>) and the rule.</exception>
    public static RoutingRules Parse(string json)
    {
        using (var document = ConfigurationJson.Parse(json, "Routing rules are not valid JSON"))
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("Routing rules are a JSON object with \"routes\".");
            }

            foreach (var property in root.EnumerateObject())
            {
                if (property.Name is not ("mode" or "routes" or "unmatched"))
                {
                    throw new FormatException($"Routing rules: unknown setting '{property.Name}' (expected mode, routes, unmatched).");
                }
            }

            var firstMatch = root.TryGetProperty("mode", out var mode) && ((mode.ValueKind == JsonValueKind.String ? mode.GetString() : mode.GetRawText()) switch
            {
                "first" => true,
                "all" => false,
                var other => throw new FormatException($"mode: '{other}' is not \"all\" or \"first\"."),
            });

            if (!root.TryGetProperty("routes", out var routesJson) || routesJson.ValueKind != JsonValueKind.Array || routesJson.GetArrayLength() == 0)
            {
                throw new FormatException("routes: a non-empty array of routes is required.");
            }

            var routes = new List<Route>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (routeJson, i) in routesJson.EnumerateArray().Select((r, i) => (r, i)))
            {
                var route = ParseRoute(routeJson, $"routes[{i}]", i);
                if (!names.Add(route.Name))
                {
                    throw new FormatException($"routes[{i}]: the name '{route.Name}' is used twice.");
                }

                routes.Add(route);
            }

            var catchAll = routes.Any(r => r.Match is not { Count: > 0 });
            var unmatched = UnmatchedAction.Fail;
            IReadOnlyList<string> unmatchedTo = [];
            if (root.TryGetProperty("unmatched", out var unmatchedJson))
            {
                (unmatched, unmatchedTo) = unmatchedJson.ValueKind switch
                {
                    JsonValueKind.String => unmatchedJson.GetString() switch
                    {
                        "drop" => (UnmatchedAction.Drop, []),
                        "dlq" => (UnmatchedAction.Dlq, []),
                        "fail" => (UnmatchedAction.Fail, []),
                        var other => throw new FormatException($"unmatched: '{other}' is not drop, dlq, fail or {{\"to\": [...]}}."),
                    },
                    JsonValueKind.Object when unmatchedJson.TryGetProperty("to", out var to) => (UnmatchedAction.Forward, ParseDestinations(to, "unmatched.to")),
                    _ => throw new FormatException("unmatched: expected \"drop\", \"dlq\", \"fail\" or {\"to\": [destinations]}."),
                };
            }
            else if (!catchAll)
            {
                throw new FormatException("unmatched: say what happens to records no route matches (\"drop\", \"dlq\", \"fail\" or {\"to\": [...]}), or add a route without \"match\".");
            }

            return new RoutingRules(routes, firstMatch, unmatched, unmatchedTo);
        }
    }

    /// <summary>Decides where a record goes.</summary>
    /// <param name="data">The record's data.</param>
    /// <param name="partitionKey">The record's partition key (or Kafka key as text).</param>
    /// <returns>The decision.</returns>
    public RoutingDecision Decide(ReadOnlyMemory<byte> data, string partitionKey)
    {
        ArgumentNullException.ThrowIfNull(partitionKey);
        JsonDocument? document = null;
        string? parseError = null;
        if (_needsJson)
        {
            try
            {
                document = JsonDocument.Parse(data, new JsonDocumentOptions { MaxDepth = 64 });
            }
            catch (JsonException e)
            {
                parseError = e.Message;
            }
        }

        using (document)
        {
            var root = document?.RootElement ?? default;
            var targets = new List<RouteTarget>();
            foreach (var route in Routes)
            {
                if (route.Match is { } m && !m.Matches(document is not null, root))
                {
                    continue;
                }

                var key = partitionKey;
                if (route.PartitionKey is { } path)
                {
                    if (document is null)
                    {
                        return RoutingDecision.Poison($"Route '{route.Name}' keys records by {path}, but this record is not JSON: {parseError}");
                    }

                    if (!path.TryResolve(root, out var field))
                    {
                        return RoutingDecision.Poison($"Route '{route.Name}' keys records by {path}, which this record does not have.");
                    }

                    var text = field.ValueKind switch
                    {
                        JsonValueKind.String => TextOf(field),
                        JsonValueKind.Number => field.GetRawText(),
                        _ => null,
                    };
                    if (text is null)
                    {
                        return RoutingDecision.Poison(field.ValueKind == JsonValueKind.String
                            ? $"Route '{route.Name}' keys records by {path}, which is not valid Unicode here (a lone surrogate); a partition key is 1 to {MaxPartitionKeyLength} characters of valid Unicode."
                            : $"Route '{route.Name}' keys records by {path}, which is {field.ValueKind} here, not a string or number.");
                    }

                    key = text;
                    if (PartitionKeys.Check(key) != PartitionKeyProblem.None)
                    {
                        return RoutingDecision.Poison($"Route '{route.Name}' keys records by {path}, which is {key.Length} characters here; a partition key has 1 to {MaxPartitionKeyLength}.");
                    }
                }

                if (route.HotKeys is { } spreader)
                {
                    key = spreader.KeyFor(key, data.Span);
                }

                foreach (var destination in route.To)
                {
                    targets.Add(new RouteTarget(destination, key, route.Name));
                }

                if (FirstMatchOnly)
                {
                    break;
                }
            }

            if (targets.Count > 0)
            {
                return RoutingDecision.To(targets);
            }

            return Unmatched switch
            {
                UnmatchedAction.Forward => RoutingDecision.To([.. UnmatchedTo.Select(d => new RouteTarget(d, partitionKey, "unmatched"))], unmatched: true),
                UnmatchedAction.Dlq => RoutingDecision.Poison("No route matched the record (unmatched: dlq).", unmatched: true),
                UnmatchedAction.Fail => RoutingDecision.Poison("No route matched the record (unmatched: fail).", unmatched: true),
                _ => RoutingDecision.To([], unmatched: true),
            };
        }
    }

    // A string's text, or null when it holds an escaped lone surrogate (valid JSON, but no text: GetString throws).
    private static string? TextOf(JsonElement value)
    {
        try
        {
            return value.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static Route ParseRoute(JsonElement json, string where, int index)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"{where}: a route is an object with \"to\".");
        }

        foreach (var property in json.EnumerateObject())
        {
            if (property.Name is not ("name" or "match" or "to" or "partitionKey" or "hotKeys"))
            {
                throw new FormatException($"{where}: unknown setting '{property.Name}' (expected name, match, to, partitionKey, hotKeys).");
            }
        }

        var name = !json.TryGetProperty("name", out var n) || n.ValueKind == JsonValueKind.Null ? $"route-{index}"
            : n.ValueKind == JsonValueKind.String ? n.GetString()!
            : throw new FormatException($"{where}.name: a string is required, not {n.ValueKind}.");
        var match = json.TryGetProperty("match", out var matchJson) ? FieldMatch.Parse(matchJson, $"{where}.match") : null;

        if (!json.TryGetProperty("to", out var toJson))
        {
            throw new FormatException($"{where}: \"to\" (the destinations) is required.");
        }

        var to = ParseDestinations(toJson, $"{where}.to");
        FieldPath? partitionKey = null;
        if (json.TryGetProperty("partitionKey", out var keyJson))
        {
            try
            {
                partitionKey = FieldPath.Parse(keyJson.GetString() ?? throw new FormatException("a field path string is required."));
            }
            catch (Exception e) when (e is FormatException or InvalidOperationException)
            {
                throw new FormatException($"{where}.partitionKey: {e.Message}", e);
            }
        }

        HotKeySpreader? hotKeys = null;
        if (json.TryGetProperty("hotKeys", out var hotJson))
        {
            if (hotJson.ValueKind != JsonValueKind.Object
                || !hotJson.TryGetProperty("keys", out var keys) || keys.ValueKind != JsonValueKind.Array
                || !hotJson.TryGetProperty("salts", out var salts) || !salts.TryGetInt32(out var saltCount))
            {
                throw new FormatException($"{where}.hotKeys: expected {{\"keys\": [\"key\", …], \"salts\": 2-1000}}.");
            }

            try
            {
                hotKeys = new HotKeySpreader([.. keys.EnumerateArray().Select(k => k.ValueKind == JsonValueKind.String ? k.GetString()! : throw new FormatException($"{where}.hotKeys.keys: strings are required, not {k.ValueKind}."))], saltCount);
            }
            catch (ArgumentException e)
            {
                throw new FormatException($"{where}.hotKeys: {e.Message}", e);
            }
        }

        return new Route(name, match, to, partitionKey, hotKeys);
    }

    private static string[] ParseDestinations(JsonElement json, string where)
    {
        var list = json.ValueKind == JsonValueKind.Array ? json.EnumerateArray().ToList() : json.ValueKind == JsonValueKind.String ? [json] : [];
        if (list.Count == 0)
        {
            throw new FormatException($"{where}: one or more destinations, e.g. [\"kinesis:stream\", \"kafka:topic\"].");
        }

        var destinations = list.Select(d => d.ValueKind == JsonValueKind.String ? d.GetString()! : string.Empty).ToArray();
        foreach (var destination in destinations)
        {
            CheckDestination(destination, where);
        }

        return destinations;
    }

    private static void CheckDestination(string destination, string where)
    {
        var colon = destination.IndexOf(':', StringComparison.Ordinal);
        var kind = colon > 0 ? destination[..colon] : string.Empty;
        if (kind is not ("kinesis" or "kafka") || colon == destination.Length - 1)
        {
            throw new FormatException($"{where}: '{destination}' is not a destination; write kinesis:<stream name or ARN> or kafka:<topic>.");
        }
    }
}
