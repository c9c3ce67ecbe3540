using System.Globalization;
using StreamFunctions.Aws;

namespace StreamFunctions.Testing.Faults;

/// <summary>
/// Kills a function process (as <c>kill -9</c> does) at chosen points of its I/O: the proxies in front of its
/// services share one request count, and at each chosen request the process is killed either before the
/// request reaches the service or just after (the service acted; the function never learns of it). The points
/// come from a seed, so a failing iteration reproduces from the seed printed with it.
/// </summary>
public sealed class KillSchedule
{
    private readonly Dictionary<int, bool> _points;
    private int _requests;
    private int _kills;

    /// <summary>Creates the schedule.</summary>
    /// <param name="points">Request numbers (1-based, across every proxy using <see cref="Handler"/>) and whether the kill comes after forwarding.</param>
    public KillSchedule(IEnumerable<(int Request, bool AfterForward)> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        _points = points.ToDictionary(p => p.Request, p => p.AfterForward);
        Handler = HandleAsync;
    }

    /// <summary>A seeded schedule: 1 to <paramref name="maxKills"/> points among the first <paramref name="requests"/> requests, each before or after forwarding.</summary>
    /// <param name="seed">The seed.</param>
    /// <param name="requests">How many requests an uninterrupted run makes.</param>
    /// <param name="maxKills">The most kills.</param>
    /// <returns>The schedule.</returns>
    public static KillSchedule FromSeed(int seed, int requests, int maxKills)
    {
        var random = new Random(seed);
        var kills = random.Next(1, maxKills + 1);
        var points = new Dictionary<int, bool>();
        while (points.Count < Math.Min(kills, requests))
        {
            points.TryAdd(random.Next(1, requests + 1), random.Next(2) == 1);
        }

        return new KillSchedule(points.Select(p => (p.Key, p.Value))) { Seed = seed };
    }

    /// <summary>The seeds of a scenario's iterations: <paramref name="first"/> and the next ones, or only <c>SFN_FAULT_SEED</c> when it is set (to rerun a failed iteration).</summary>
    /// <param name="first">The first seed.</param>
    /// <param name="iterations">How many.</param>
    /// <returns>The seeds.</returns>
    public static int[] Seeds(int first, int iterations) =>
        EnvironmentVariables.Process.Setting("SFN_FAULT_SEED") is { } only
            ? [int.Parse(only, CultureInfo.InvariantCulture)]
            : [.. Enumerable.Range(first, iterations)];

    /// <summary>The seed, when made from one.</summary>
    public int? Seed { get; private init; }

    /// <summary>Kills the process; set once the process's invoker exists.</summary>
    public Func<bool>? Kill { get; set; }

    /// <summary>The handler to give every proxy in front of the function's services.</summary>
    public ProxyHandler Handler { get; }

    /// <summary>Requests seen so far.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Processes killed so far.</summary>
    public int Kills => Volatile.Read(ref _kills);

    /// <inheritdoc />
    public override string ToString() =>
        $"seed {Seed?.ToString(CultureInfo.InvariantCulture) ?? "-"}: kill at " + string.Join(", ", _points.OrderBy(p => p.Key).Select(p => $"request {p.Key} {(p.Value ? "after" : "before")} forwarding"));

    private async Task<ProxiedResponse?> HandleAsync(ProxiedRequest request, Func<byte[], Task<ProxiedResponse>> forward)
    {
        var number = Interlocked.Increment(ref _requests);
        if (!_points.TryGetValue(number, out var after))
        {
            return await forward(request.Body).ConfigureAwait(false);
        }

        if (after)
        {
            _ = await forward(request.Body).ConfigureAwait(false);
        }

        if (Kill?.Invoke() == true)
        {
            Interlocked.Increment(ref _kills);
        }

        return null;
    }
}
