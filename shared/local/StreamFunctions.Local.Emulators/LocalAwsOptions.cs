namespace StreamFunctions.Local.Emulators;

/// <summary>How to start the local emulators.</summary>
public sealed class LocalAwsOptions
{
    /// <summary>
    /// Where the emulators keep pids, ports, logs and S3 data; removed when they stop.
    /// </summary>
    /// <value>The default is a new folder under the system's temp folder, so that parallel runs never share one.</value>
    public string? StateDirectory { get; set; }

    /// <summary>
    /// The script that manages the emulators.
    /// </summary>
    /// <value>The default is <c>SFN_LOCAL_AWS_SCRIPT</c> if set, else <c>scripts/local-aws.sh</c> found by walking up from
    /// the current folder and from the application's folder.</value>
    public string? ScriptPath { get; set; }

    /// <summary>Which emulators to start.</summary>
    /// <value>The default is all: Kinesis, DynamoDB and S3.</value>
    public IReadOnlyList<string> Services { get; set; } = ["kinesis", "dynamodb", "s3"];

    /// <summary>
    /// How long to wait for the emulators to answer, npm install included on a fresh machine.
    /// </summary>
    /// <value>The default is 3 minutes.</value>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>
    /// Whether the emulators stop by themselves when this process exits without disposing them
    /// (killed, crashed), through the script's owner watchdog.
    /// </summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool StopWithProcess { get; set; } = true;
}
