using System.Text.Json;
using StreamFunctions.Formats.Exceptions;
using StreamFunctions.Records;
using StreamFunctions.Records.Exceptions;

namespace StreamFunctions.Formats.Objects;

/// <summary>How <see cref="JsonLinesWriter"/> lays records out.</summary>
public sealed class JsonLinesOptions
{
    /// <summary>
    /// Put a newline after every record (JSON lines). Without it records are written back to back, as
    /// Firehose writes them unless its "new line delimiter" is enabled.
    /// </summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool NewlineDelimiter { get; init; } = true;

    /// <summary>Check that every record is exactly one JSON value (costs a parse of each record).</summary>
    /// <value>The default is <see langword="false"/>: records are written as given, checked only for line breaks.</value>
    public bool ValidateJson { get; init; }

    /// <summary>Bytes gathered before they are passed to the destination (the compressor).</summary>
    /// <value>The default is 65,536; allowed 1,024–16,777,216.</value>
    public int BufferSize { get; init; } = 64 * 1024;

    /// <summary>Checks every option.</summary>
    /// <exception cref="StorageOptionsException">An option is out of range; the message names it.</exception>
    public JsonLinesOptions Validate()
    {
        if (BufferSize is < 1024 or > 16 * 1024 * 1024)
        {
            throw new StorageOptionsException($"{nameof(JsonLinesOptions)}.{nameof(BufferSize)}", $"{BufferSize} is outside the allowed 1024–16777216 bytes.");
        }

        return this;
    }
}

/// <summary>
/// Writes records as JSON lines (one UTF-8 JSON document per line) into a destination stream, usually a
/// compressor over the object's bytes. Records are gathered in a pooled buffer and passed on
/// in large writes; the output is a function of the records and options only.
/// </summary>
/// <remarks>With the newline delimiter on, a record holding a line break is refused (it would read back as
/// two records), naming the record's index.</remarks>
public sealed class JsonLinesWriter : IDisposable
{
    private readonly Stream _destination;
    private readonly bool _leaveOpen;
    private readonly bool _newline;
    private readonly bool _validate;
    private readonly int _bufferSize;
    private readonly PooledBuffer _buffer;
    private bool _disposed;

    /// <summary>Creates a writer.</summary>
    /// <param name="destination">Where the lines go.</param>
    /// <param name="options">Layout options; validated.</param>
    /// <param name="leaveOpen">Leave <paramref name="destination"/> open when the writer is disposed.</param>
    public JsonLinesWriter(Stream destination, JsonLinesOptions? options = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(destination);
        options = (options ?? new JsonLinesOptions()).Validate();
        _destination = destination;
        _leaveOpen = leaveOpen;
        _newline = options.NewlineDelimiter;
        _validate = options.ValidateJson;
        _bufferSize = options.BufferSize;
        _buffer = new PooledBuffer(_bufferSize + 1024);
    }

    /// <summary>How many records have been written.</summary>
    public long RecordCount { get; private set; }

    /// <summary>Writes one record.</summary>
    /// <param name="json">The record's UTF-8 JSON.</param>
    /// <exception cref="ObjectWriterException">The record holds a line break (with the newline delimiter on) or, with validation on, is not one JSON value.</exception>
    public void Write(ReadOnlySpan<byte> json)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_newline && json.IndexOfAny((byte)'\n', (byte)'\r') is var at and >= 0)
        {
            throw new ObjectWriterException($"Record {RecordCount} holds a line break at byte {at}: as a JSON line it would read back as more than one record.", RecordCount);
        }

        if (_validate)
        {
            Validate(json, RecordCount);
        }

        var length = json.Length + (_newline ? 1 : 0);
        var span = _buffer.GetSpan(length);
        json.CopyTo(span);
        if (_newline)
        {
            span[json.Length] = (byte)'\n';
        }

        _buffer.Advance(length);
        RecordCount++;
        if (_buffer.WrittenCount >= _bufferSize)
        {
            Drain();
        }
    }

    /// <summary>Writes a user record's data as one record.</summary>
    public void Write(in UserRecord record) => Write(record.Data.Span);

    /// <summary>Passes the gathered bytes on to the destination (without flushing the destination itself).</summary>
    public void Flush()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Drain();
    }

    private void Drain()
    {
        if (_buffer.WrittenCount > 0)
        {
            _destination.Write(_buffer.WrittenSpan);
            _buffer.Clear();
        }
    }

    private static void Validate(ReadOnlySpan<byte> json, long index)
    {
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { AllowMultipleValues = false, CommentHandling = JsonCommentHandling.Disallow });
            if (!reader.Read())
            {
                throw new ObjectWriterException($"Record {index} is empty, not a JSON value.", index);
            }

            reader.Skip();
            if (reader.Read())
            {
                throw new ObjectWriterException($"Record {index} holds more than one JSON value.", index);
            }
        }
        catch (JsonException e)
        {
            throw new ObjectWriterException($"Record {index} is not valid JSON: {e.Message}", index, e);
        }
    }

    /// <summary>Passes the remaining bytes on and, unless told to leave it open, disposes the destination (which ends a compressor's stream).</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        try
        {
            Drain();
            if (!_leaveOpen)
            {
                _destination.Dispose();
            }
        }
        finally
        {
            _disposed = true;
            _buffer.Dispose();
        }
    }
}
