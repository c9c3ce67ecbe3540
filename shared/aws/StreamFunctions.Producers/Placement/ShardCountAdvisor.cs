using System.Globalization;

namespace StreamFunctions.Producers.Placement;

/// <summary>A stream's expected load.</summary>
/// <param name="WriteMegabytesPerSecond">Data written per second, in MiB (Kinesis counts its limits in MiB).</param>
/// <param name="RecordsPerSecond">Records written per second.</param>
/// <param name="StandardConsumers">Consumers sharing each shard's read throughput (GetRecords, Lambda without EFO).</param>
/// <param name="EnhancedFanOutConsumers">Consumers with enhanced fan-out (their own 2 MiB/s per shard).</param>
/// <param name="Headroom">Extra capacity as a fraction, e.g. 0.25 for 25%.</param>
public sealed record StreamLoad(double WriteMegabytesPerSecond, double RecordsPerSecond, int StandardConsumers, int EnhancedFanOutConsumers = 0, double Headroom = 0.25);

/// <summary>The advice: how many shards, and which limit decided it.</summary>
/// <param name="Shards">The recommended provisioned shard count.</param>
/// <param name="BindingLimit">The limit that needs the most shards.</param>
/// <param name="Explanation">Each limit's shard need, for the user.</param>
public sealed record ShardAdvice(int Shards, string BindingLimit, string Explanation);

/// <summary>
/// Sizes a provisioned Kinesis stream from its load, by Kinesis's per-shard limits: writes of 1 MiB/s and
/// 1,000 records/s; shared reads of 2 MiB/s and 5 GetRecords calls/s across all standard consumers (each
/// consumer reads everything, polling about once a second, as Lambda's event source mapping does);
/// enhanced fan-out consumers read from their own 2 MiB/s pipe and do not count. Headroom is added on top.
/// </summary>
public static class ShardCountAdvisor
{
    /// <summary>Advises a shard count.</summary>
    /// <param name="load">The expected load.</param>
    /// <returns>The advice.</returns>
    public static ShardAdvice Advise(StreamLoad load)
    {
        ArgumentNullException.ThrowIfNull(load);
        if (load.WriteMegabytesPerSecond < 0 || load.RecordsPerSecond < 0 || load.StandardConsumers < 0 || load.EnhancedFanOutConsumers < 0 || load.Headroom is < 0 or > 10)
        {
            throw new ArgumentOutOfRangeException(nameof(load), load, "Loads must not be negative and headroom must be between 0 and 10 (1,000%).");
        }

        var needs = new (string Limit, double Shards)[]
        {
            ("write 1 MiB/s per shard", load.WriteMegabytesPerSecond / 1.0),
            ("write 1,000 records/s per shard", load.RecordsPerSecond / 1000.0),
            ("shared read 2 MiB/s per shard", load.WriteMegabytesPerSecond * load.StandardConsumers / 2.0),
            ("5 GetRecords/s per shard shared by standard consumers", load.StandardConsumers / 5.0),
        };
        var binding = needs.MaxBy(n => n.Shards);
        var shards = Math.Max(1, (int)Math.Ceiling(binding.Shards * (1 + load.Headroom) - 1e-9));
        var explanation = string.Join("; ", needs.Select(n => string.Create(CultureInfo.InvariantCulture, $"{n.Limit}: {n.Shards:0.##}")))
            + string.Create(CultureInfo.InvariantCulture, $"; +{load.Headroom:P0} headroom → {shards}")
            + (load.EnhancedFanOutConsumers > 0 ? string.Create(CultureInfo.InvariantCulture, $"; {load.EnhancedFanOutConsumers} enhanced fan-out consumer(s) read from their own pipes and add no shards") : string.Empty);
        return new ShardAdvice(shards, binding.Limit, explanation);
    }
}
