using System.Globalization;
using System.Text;
using System.Text.Json;

namespace StreamFunctions.Lambda.Runtime;

/// <summary>Log levels, as Lambda's advanced logging controls name them.</summary>
public enum LambdaLogLevel
{
    /// <summary>TRACE.</summary>
    Trace,

    /// <summary>DEBUG.</summary>
    Debug,

    /// <summary>INFO.</summary>
    Info,

    /// <summary>WARN.</summary>
    Warn,

    /// <summary>ERROR.</summary>
    Error,

    /// <summary>FATAL.</summary>
    Fatal,
}

/// <summary>
/// Lambda's structured logging: with <c>AWS_LAMBDA_LOG_FORMAT=JSON</c> one JSON object per line
/// (<c>timestamp</c>, <c>level</c>, <c>message</c>, <c>requestId</c>, then the caller's fields), else a
/// tab-separated text line; lines below <c>AWS_LAMBDA_LOG_LEVEL</c> are dropped. Thread-safe.
/// </summary>
public sealed class LambdaLogger
{
    private readonly TextWriter _output;
    private readonly TimeProvider _time;
    private readonly bool _json;
    private readonly LambdaLogLevel _minimum;
    private readonly Lock _gate = new();

    /// <summary>Creates a logger.</summary>
    /// <param name="output">Where lines go (Lambda ships stdout to CloudWatch Logs).</param>
    /// <param name="json">JSON lines rather than text.</param>
    /// <param name="minimum">The lowest level written.</param>
    /// <param name="time">The clock for timestamps.</param>
    /// <param name="requestId">The invocation the lines belong to, if any.</param>
    public LambdaLogger(TextWriter output, bool json, LambdaLogLevel minimum = LambdaLogLevel.Info, TimeProvider? time = null, string? requestId = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
        _json = json;
        _minimum = minimum;
        _time = time ?? TimeProvider.System;
        RequestId = requestId;
    }

    /// <summary>The request id the lines carry.</summary>
    public string? RequestId { get; }

    /// <summary>A logger for one invocation: same output and settings, lines carry its request id.</summary>
    /// <param name="requestId">The request id.</param>
    /// <returns>The logger.</returns>
    public LambdaLogger ForRequest(string requestId) => new(_output, _json, _minimum, _time, requestId);

    /// <summary>Writes an INFO line.</summary>
    /// <param name="message">The message.</param>
    /// <param name="fields">Extra structured fields.</param>
    public void Info(string message, params ReadOnlySpan<KeyValuePair<string, object?>> fields) => Log(LambdaLogLevel.Info, message, fields);

    /// <summary>Writes a WARN line.</summary>
    /// <param name="message">The message.</param>
    /// <param name="fields">Extra structured fields.</param>
    public void Warn(string message, params ReadOnlySpan<KeyValuePair<string, object?>> fields) => Log(LambdaLogLevel.Warn, message, fields);

    /// <summary>Writes an ERROR line.</summary>
    /// <param name="message">The message.</param>
    /// <param name="fields">Extra structured fields.</param>
    public void Error(string message, params ReadOnlySpan<KeyValuePair<string, object?>> fields) => Log(LambdaLogLevel.Error, message, fields);

    /// <summary>Writes a DEBUG line.</summary>
    /// <param name="message">The message.</param>
    /// <param name="fields">Extra structured fields.</param>
    public void Debug(string message, params ReadOnlySpan<KeyValuePair<string, object?>> fields) => Log(LambdaLogLevel.Debug, message, fields);

    /// <summary>Writes a line at a level.</summary>
    /// <param name="level">The level.</param>
    /// <param name="message">The message.</param>
    /// <param name="fields">Extra structured fields (strings, numbers, booleans; others as their text).</param>
    public void Log(LambdaLogLevel level, string message, ReadOnlySpan<KeyValuePair<string, object?>> fields)
    {
        if (level < _minimum)
        {
            return;
        }

        var timestamp = _time.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        var levelName = level.ToString().ToUpperInvariant();
        string line;
        if (_json)
        {
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                writer.WriteString("timestamp", timestamp);
                writer.WriteString("level", levelName);
                writer.WriteString("message", message);
                if (RequestId is not null)
                {
                    writer.WriteString("requestId", RequestId);
                }

                foreach (var (key, value) in fields)
                {
                    switch (value)
                    {
                        case null: writer.WriteNull(key); break;
                        case string s: writer.WriteString(key, s); break;
                        case bool b: writer.WriteBoolean(key, b); break;
                        case int i: writer.WriteNumber(key, i); break;
                        case long l: writer.WriteNumber(key, l); break;
                        case double d: writer.WriteNumber(key, d); break;
                        case decimal m: writer.WriteNumber(key, m); break;
                        default: writer.WriteString(key, Convert.ToString(value, CultureInfo.InvariantCulture)); break;
                    }
                }

                writer.WriteEndObject();
            }

            line = Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        }
        else
        {
            var text = new StringBuilder().Append(timestamp).Append('\t').Append(RequestId ?? "-").Append('\t').Append(levelName).Append('\t').Append(message);
            foreach (var (key, value) in fields)
            {
                text.Append('\t').Append(key).Append('=').Append(Convert.ToString(value, CultureInfo.InvariantCulture));
            }

            line = text.ToString();
        }

        lock (_gate)
        {
            _output.WriteLine(line);
            _output.Flush();
        }
    }
}
