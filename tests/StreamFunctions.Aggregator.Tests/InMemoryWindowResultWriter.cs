using StreamFunctions.Windowing.Engine;

namespace StreamFunctions.Aggregator.Tests;

/// <summary>Results in memory, by result key: the latest of each, as an upserting consumer keeps them.</summary>
internal sealed class InMemoryWindowResultWriter : IWindowResultWriter
{
    private readonly Dictionary<string, WindowResult> _results = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>The latest result of every key.</summary>
    public IReadOnlyDictionary<string, WindowResult> Results
    {
        get
        {
            lock (_gate)
            {
                return new Dictionary<string, WindowResult>(_results, StringComparer.Ordinal);
            }
        }
    }

    /// <inheritdoc/>
    public Task WriteAsync(string batchId, IReadOnlyList<WindowResult> results, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(results);
        lock (_gate)
        {
            foreach (var r in results)
            {
                _results[r.ResultKey] = r;
            }
        }

        return Task.CompletedTask;
    }
}
