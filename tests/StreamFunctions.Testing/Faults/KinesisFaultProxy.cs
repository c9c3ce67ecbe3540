using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace StreamFunctions.Testing.Faults;

/// <summary>
/// A loopback HTTP proxy in front of a Kinesis endpoint (the emulator) that makes PutRecords fail per
/// record the way Kinesis does: a chosen fraction of records is answered with
/// <c>ProvisionedThroughputExceededException</c> or <c>InternalFailure</c> a given number of times, and only
/// the other records are forwarded, so a failed record is really not written. Records are told apart by
/// their partition key and data; the choice is a seeded hash, so a run reproduces. Every other call is
/// forwarded unchanged. Point a client at <see cref="Endpoint"/>.
/// </summary>
public sealed class KinesisFaultProxy : IDisposable
{
    private readonly HttpFaultProxy _proxy;
    private readonly ConcurrentDictionary<string, int> _failures = new(StringComparer.Ordinal);
    private int _injected;
    private int _forwardedEntries;

    /// <summary>Starts the proxy.</summary>
    /// <param name="target">The real endpoint.</param>
    /// <param name="failFraction">The fraction of records chosen to fail (0–1).</param>
    /// <param name="failuresPerRecord">How many times each chosen record fails before it is let through.</param>
    /// <param name="seed">Chooses which records fail.</param>
    public KinesisFaultProxy(Uri target, double failFraction, int failuresPerRecord, int seed)
    {
        FailFraction = failFraction;
        FailuresPerRecord = failuresPerRecord;
        Seed = seed;
        _proxy = new HttpFaultProxy(target, async (request, forward) => request.Target == "Kinesis_20131202.PutRecords"
            ? await PutRecordsAsync(request.Body, forward).ConfigureAwait(false)
            : await forward(request.Body).ConfigureAwait(false));
    }

    /// <summary>Where clients connect.</summary>
    public Uri Endpoint => _proxy.Endpoint;

    /// <summary>The fraction of records chosen to fail.</summary>
    public double FailFraction { get; }

    /// <summary>Failures per chosen record.</summary>
    public int FailuresPerRecord { get; }

    /// <summary>The seed of the choice.</summary>
    public int Seed { get; }

    /// <summary>How many record failures were injected.</summary>
    public int InjectedFailures => Volatile.Read(ref _injected);

    /// <summary>How many PutRecords entries were forwarded (written).</summary>
    public int ForwardedEntries => Volatile.Read(ref _forwardedEntries);

    /// <inheritdoc />
    public void Dispose() => _proxy.Dispose();

    private async Task<ProxiedResponse?> PutRecordsAsync(byte[] body, Func<byte[], Task<ProxiedResponse>> forward)
    {
        var json = JsonNode.Parse(body)!.AsObject();
        var entries = json["Records"]!.AsArray();
        var outcome = new JsonObject?[entries.Count];
        var kept = new JsonArray();
        var keptIndexes = new List<int>();
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i]!.AsObject();
            var identity = entry["PartitionKey"]!.GetValue<string>() + "\n" + entry["Data"]!.GetValue<string>();
            if (Chosen(identity) && _failures.AddOrUpdate(identity, 1, (_, n) => n + 1) <= FailuresPerRecord)
            {
                Interlocked.Increment(ref _injected);
                var throttle = (i % 2) == 0;
                outcome[i] = new JsonObject
                {
                    ["ErrorCode"] = throttle ? "ProvisionedThroughputExceededException" : "InternalFailure",
                    ["ErrorMessage"] = throttle ? "Rate exceeded for shard (injected by KinesisFaultProxy)." : "Internal service failure (injected by KinesisFaultProxy).",
                };
            }
            else
            {
                keptIndexes.Add(i);
                kept.Add(entry.DeepClone());
            }
        }

        if (kept.Count > 0)
        {
            json["Records"] = kept;
            var answer = await forward(Encoding.UTF8.GetBytes(json.ToJsonString())).ConfigureAwait(false);
            if (answer.Status != 200)
            {
                return answer;
            }

            Interlocked.Add(ref _forwardedEntries, kept.Count);
            var results = JsonNode.Parse(answer.Body)!["Records"]!.AsArray();
            for (var k = 0; k < keptIndexes.Count; k++)
            {
                outcome[keptIndexes[k]] = results[k]!.DeepClone().AsObject();
            }
        }

        var merged = new JsonArray();
        var failed = 0;
        foreach (var entry in outcome)
        {
            failed += entry!.ContainsKey("ErrorCode") ? 1 : 0;
            merged.Add(entry);
        }

        var response = new JsonObject { ["FailedRecordCount"] = failed, ["Records"] = merged, ["EncryptionType"] = "NONE" };
        return new ProxiedResponse(200, [new("Content-Type", "application/x-amz-json-1.1")], Encoding.UTF8.GetBytes(response.ToJsonString()), Injected: failed > 0);
    }

    private bool Chosen(string identity)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(Seed.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n" + identity), hash);
        return BitConverter.ToUInt64(hash) < (ulong)(FailFraction * ulong.MaxValue);
    }
}
