using System.Globalization;

namespace StreamFunctions.Cli.Run;

/// <summary>
/// The run's progress: a bar redrawn in place on a terminal, or a line per quarter of the way in a log (CI).
/// Shows records sent through the gateway and records each consumer has read.
/// </summary>
internal sealed class PipelineProgress(TextWriter output, bool interactive, int? total)
{
    private const int Width = 30;
    private int _lastQuarter = -1;
    private long _lastDraw;

    public void Show(int sent, int sunk, int? aggregated, bool done = false)
    {
        var expected = total ?? Math.Max(sent, 1);
        var fraction = Math.Clamp((double)Math.Min(sent, Math.Min(sunk, aggregated ?? sunk)) / expected, 0, 1);
        var line = string.Create(CultureInfo.InvariantCulture, $"  [{new string('#', (int)(fraction * Width)),-30}] sent {sent:N0}{(total is { } t ? $"/{t:N0}" : string.Empty)} · sink read {sunk:N0}{(aggregated is { } a ? $" · aggregator read {a:N0}" : string.Empty)}");
        if (interactive)
        {
            var now = Environment.TickCount64;
            if (done || now - _lastDraw >= 100)
            {
                _lastDraw = now;
                output.Write("\r" + line);
                if (done)
                {
                    output.WriteLine();
                }
            }

            return;
        }

        var quarter = done ? 4 : (int)(fraction * 4);
        if (quarter > _lastQuarter)
        {
            _lastQuarter = quarter;
            output.WriteLine(line);
        }
    }
}
