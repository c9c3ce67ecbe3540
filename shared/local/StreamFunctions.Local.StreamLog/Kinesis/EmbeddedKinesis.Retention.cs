namespace StreamFunctions.Local.StreamLog.Kinesis;

// Retention: dropping segments and closed shards the retention period has passed, on open and on a timer.
public sealed partial class EmbeddedKinesis
{
    /// <summary>
    /// Drops what the retention period has passed: whole segments of records older than it, and
    /// closed shards that closed before it. Runs on open and every <see cref="EmbeddedKinesisOptions.RetentionCheckInterval"/>;
    /// reads never return expired records whether or not it has run.
    /// </summary>
    /// <returns>How many segments and shards were dropped.</returns>
    public int ApplyRetention()
    {
        List<EmbeddedStream> streams;
        lock (_gate)
        {
            ThrowIfDisposed();
            streams = [.. _byId.Values];
        }

        var dropped = 0;
        var now = NowMilliseconds();
        foreach (var stream in streams)
        {
            List<EmbeddedShard> expired;
            lock (stream.Gate)
            {
                if (stream.IsDeleted)
                {
                    continue;
                }

                var horizon = now - stream.RetentionMilliseconds;
                expired = [.. stream.Shards.Where(s => !s.IsOpen && s.ClosedMilliseconds < horizon)];
                foreach (var shard in stream.Shards)
                {
                    if (!expired.Contains(shard))
                    {
                        dropped += shard.DropSegmentsBefore(horizon);
                    }
                }

                if (expired.Count > 0)
                {
                    lock (_gate)
                    {
                        stream.Shards.RemoveAll(expired.Contains);
                        WriteCatalogLocked();
                    }

                    foreach (var shard in expired)
                    {
                        shard.Dispose();
                        DeleteDirectory(shard.Directory);
                    }
                }
            }

            dropped += expired.Count;
        }

        return dropped;
    }

    private void OnRetentionTimer()
    {
        try
        {
            ApplyRetention();
        }
        catch (ObjectDisposedException)
        {
            // Disposed between the tick and the sweep.
        }
        catch (IOException)
        {
            // A file busy or gone: the next tick tries again, and reads skip expired records meanwhile.
        }
    }
}
