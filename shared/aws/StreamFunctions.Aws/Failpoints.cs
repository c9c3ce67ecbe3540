using System.Diagnostics;
using System.Globalization;

namespace StreamFunctions.Aws;

/// <summary>
/// Fault injection for crash tests, off unless configured: <c>STREAMFUNCTIONS_FAILPOINT=&lt;stage&gt;[:&lt;n&gt;]</c> kills the
/// process (as kill -9 would) the n-th time the stage is reached, once: <c>STREAMFUNCTIONS_FAILPOINT_MARKER</c> names
/// a file that records the crash, so the restarted process runs on.
/// </summary>
public static class Failpoints
{
    /// <summary>The stage callback the environment asks for, or null (the normal case).</summary>
    /// <typeparam name="TStage">The stages of the function.</typeparam>
    /// <param name="environment">The environment.</param>
    /// <returns>The callback.</returns>
    /// <exception cref="ArgumentException">A failpoint without a marker file, or an unknown stage.</exception>
    public static Action<TStage>? FromEnvironment<TStage>(IEnvironmentVariables environment)
        where TStage : struct, Enum
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (environment.Setting("STREAMFUNCTIONS_FAILPOINT") is not { } spec)
        {
            return null;
        }

        var marker = environment.Setting("STREAMFUNCTIONS_FAILPOINT_MARKER")
            ?? throw new ArgumentException("STREAMFUNCTIONS_FAILPOINT needs STREAMFUNCTIONS_FAILPOINT_MARKER (a file that records the crash, so it happens once).");
        var parts = spec.Split(':');
        var stage = Enum.Parse<TStage>(parts[0], ignoreCase: true);
        var occurrence = parts.Length > 1 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : 1;
        var seen = 0;
        return reached =>
        {
            if (EqualityComparer<TStage>.Default.Equals(reached, stage) && ++seen == occurrence && !File.Exists(marker))
            {
                File.WriteAllText(marker, spec);
                Process.GetCurrentProcess().Kill();
            }
        };
    }
}
