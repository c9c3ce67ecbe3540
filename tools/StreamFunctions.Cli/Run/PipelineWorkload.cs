using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace StreamFunctions.Cli.Run;

/// <summary>
/// The records a run sends through the gateway's URL, as a client would (JSON requests of up to
/// <c>workload.recordsPerRequest</c> records, the API key in <c>x-api-key</c>, four requests in flight): a built-in
/// clickstream, or the lines of a JSON-lines file.
/// </summary>
/// <remarks>
/// The clickstream: record <c>i</c> is <c>{"eventId":i,"userId":"user-N","page":"/cart","type":"view","ts":…,"ms":…}</c>
/// keyed by its page (the aggregation's group key, so each page's events share a shard), at event time 2026-01-01T00:00:00Z + 10 ms × i, up to 2 s out of order, so 10,000 records span ~100 s of
/// event time; every <c>workload.malformedEvery</c>-th record is not JSON (sent as base64 bytes), to show where bad
/// records go. The generator is seeded: every run sends the same records.
/// </remarks>
/// <param name="config">The pipeline.</param>
/// <param name="url">The gateway's URL.</param>
/// <param name="apiKey">Its API key.</param>
/// <param name="measurements">Where request latencies go.</param>
/// <param name="load">For a load run: send the clickstream for this long (instead of <c>workload.records</c>), at most at this rate.</param>
internal sealed class PipelineWorkload(PipelineConfig config, Uri url, string apiKey, PipelineMeasurements measurements, LoadOptions? load = null)
{
    private static readonly string[] Pages = ["/", "/search", "/cart", "/checkout", "/product/123", "/product/456", "/account"];
    private static readonly string[] Types = ["view", "view", "view", "click", "click", "purchase"];
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private int _sent;
    private int _accepted;
    private int _rejected;
    private long _bytes;

    public int Sent => Volatile.Read(ref _sent);

    public int Accepted => Volatile.Read(ref _accepted);

    public int Rejected => Volatile.Read(ref _rejected);

    public long BytesSent => Interlocked.Read(ref _bytes);

    /// <summary>Sends the workload; after <paramref name="stop"/> no new request leaves, and the ones in flight finish.</summary>
    /// <param name="stop">Stops sending (Ctrl-C). A request in flight is never canceled: records the gateway wrote to the
    /// stream are then acknowledged and counted, never written but unknown to the summary.</param>
    /// <returns>A task that ends when every request sent has its answer.</returns>
    public async Task SendAsync(CancellationToken stop)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(120) };
        using var inFlight = new SemaphoreSlim(4);
        var requests = new List<Task>();
        var clock = Stopwatch.StartNew();
        var queued = 0L;
        try
        {
            foreach (var chunk in Records().Chunk(config.WorkloadRecordsPerRequest))
            {
                if (load is { } l)
                {
                    // Open loop at the rate: each request leaves at its time, whatever the previous ones took; none leaves at or after the end.
                    var departure = l.RecordsPerSecond is { } rate ? TimeSpan.FromSeconds((double)queued / rate) : TimeSpan.Zero;
                    if (departure >= l.Duration || clock.Elapsed >= l.Duration)
                    {
                        break;
                    }

                    if (departure - clock.Elapsed is { Ticks: > 0 } wait)
                    {
                        await Task.Delay(wait, stop).ConfigureAwait(false);
                    }

                    queued += chunk.Length;
                }

                await inFlight.WaitAsync(stop).ConfigureAwait(false);
                if (stop.IsCancellationRequested)
                {
                    inFlight.Release();
                    break;
                }

                requests.Add(Task.Run(
                    async () =>
                    {
                        try
                        {
                            await PostAsync(http, chunk, CancellationToken.None).ConfigureAwait(false);
                        }
                        finally
                        {
                            inFlight.Release();
                        }
                    },
                    CancellationToken.None));
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopped while waiting to send: the requests already sent still get their answers below.
        }

        await Task.WhenAll(requests).ConfigureAwait(false);
    }

    /// <summary>The records, each as (partition key, JSON data or null, raw bytes).</summary>
    private IEnumerable<(string Key, string? Json, byte[] Bytes)> Records()
    {
        if (config.WorkloadFile is { } file)
        {
            var i = 0;
            foreach (var line in File.ReadLines(file))
            {
                if (line.Length == 0)
                {
                    continue;
                }

                yield return ($"line-{i++ % 1000}", IsJson(line) ? line : null, Encoding.UTF8.GetBytes(line));
            }

            yield break;
        }

        var random = new Random(2026);
        for (var n = 0; load is not null || n < config.WorkloadRecords; n++)
        {
            var user = $"user-{random.Next(5_000)}";
            var page = Pages[random.Next(Pages.Length)];
            var ts = Start.AddMilliseconds((n * 10L) - random.Next(2_000)).ToUnixTimeMilliseconds();
            var json = FormattableString.Invariant($$"""{"eventId":{{n}},"userId":"{{user}}","page":"{{page}}","type":"{{Types[random.Next(Types.Length)]}}","ts":{{ts}},"ms":{{random.Next(1, 3_000)}}}""");
            if (config.WorkloadMalformedEvery > 0 && n % config.WorkloadMalformedEvery == config.WorkloadMalformedEvery - 1)
            {
                var bad = $"not json: eventId {n.ToString(CultureInfo.InvariantCulture)}";
                yield return (page, null, Encoding.UTF8.GetBytes(bad));
            }
            else
            {
                yield return (page, json, Encoding.UTF8.GetBytes(json));
            }
        }
    }

    private async Task PostAsync(HttpClient http, (string Key, string? Json, byte[] Bytes)[] records, CancellationToken cancellationToken)
    {
        var body = new StringBuilder("{\"records\":[");
        for (var i = 0; i < records.Length; i++)
        {
            var (key, json, bytes) = records[i];
            body.Append(i == 0 ? string.Empty : ",")
                .Append("{\"partitionKey\":").Append(JsonSerializer.Serialize(key, PipelineJsonContext.Default.String))
                .Append(json is null ? ",\"dataBase64\":\"" + Convert.ToBase64String(bytes) + "\"}" : ",\"data\":" + json + "}");
        }

        body.Append("]}");
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body.ToString(), Encoding.UTF8, "application/json") };
        request.Headers.Add("x-api-key", apiKey);
        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("sfn-run", "1"));
        var started = Stopwatch.GetTimestamp();
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var answer = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        measurements.RecordGateway(Stopwatch.GetElapsedTime(started));
        Interlocked.Add(ref _sent, records.Length);
        Interlocked.Add(ref _bytes, records.Sum(r => (long)r.Bytes.Length));
        if (!response.IsSuccessStatusCode)
        {
            Interlocked.Add(ref _rejected, records.Length);
            throw new InvalidOperationException($"the gateway answered {(int)response.StatusCode}: {answer}");
        }

        using var document = JsonDocument.Parse(answer);
        var failed = document.RootElement.GetProperty("failedRecordCount").GetInt32();
        Interlocked.Add(ref _accepted, records.Length - failed);
        Interlocked.Add(ref _rejected, failed);
    }

    private static bool IsJson(string line)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}

/// <summary>A load run: the built-in clickstream for a bounded time, optionally at a fixed rate.</summary>
/// <param name="Duration">How long records are sent.</param>
/// <param name="RecordsPerSecond">The rate; as fast as four requests in flight allow when null.</param>
internal sealed record LoadOptions(TimeSpan Duration, int? RecordsPerSecond);
