using System.Globalization;
using System.Text;
using StreamFunctions.Local.Emulators.Exceptions;

namespace StreamFunctions.Local.Emulators;

/// <summary>
/// Decodes an <c>aws-chunked</c> body (SigV4 streaming: <c>STREAMING-AWS4-HMAC-SHA256-PAYLOAD</c>,
/// <c>STREAMING-UNSIGNED-PAYLOAD-TRAILER</c>, …) piece by piece, as it arrives, into its payload: each chunk is
/// <c>hex-size[;chunk-signature=…]\r\n</c>, that many bytes and <c>\r\n</c>; a chunk of size 0 ends the data and
/// trailer lines (<c>x-amz-checksum-crc32:…</c>) end with an empty line. Signatures are not checked (the store does
/// not authenticate). It holds one line (at most <see cref="MaxLineBytes"/>) and never more payload than the caller
/// lets it write; the payload may not exceed the maximum it was given.
/// </summary>
/// <remarks>Refusals are <see cref="S3RequestException"/>s: <c>EntityTooLarge</c> over the maximum,
/// <c>IncompleteBody</c> for a body that ends early, <c>InvalidArgument</c> for framing that is not aws-chunked.</remarks>
public sealed class AwsChunkedDecoder
{
    /// <summary>The longest chunk header or trailer line, CRLF included: a size and a 64-digit signature take about 90 bytes.</summary>
    public const int MaxLineBytes = 4096;

    // Trailer lines after the last chunk (each a header); S3's trailers are one or two.
    private const int MaxTrailerLines = 64;

    private readonly long _maxPayloadBytes;
    private readonly byte[] _line = new byte[MaxLineBytes];
    private int _lineLength;
    private long _remaining;
    private int _trailers;
    private State _state = State.Size;

    /// <summary>Creates a decoder for one body.</summary>
    /// <param name="maxPayloadBytes">The largest payload accepted.</param>
    public AwsChunkedDecoder(long maxPayloadBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxPayloadBytes);
        _maxPayloadBytes = maxPayloadBytes;
    }

    private enum State
    {
        Size,
        Data,
        DataEnd,
        Trailer,
        Done,
    }

    /// <summary>The payload bytes decoded so far.</summary>
    public long PayloadBytes { get; private set; }

    /// <summary>Whether the body's end (the empty line after the last chunk) was read; later input is not looked at.</summary>
    public bool IsComplete => _state == State.Done;

    /// <summary>Decodes from <paramref name="encoded"/> into <paramref name="payload"/> until the input is used up, the output is full, or the body is complete.</summary>
    /// <param name="encoded">The next bytes of the body.</param>
    /// <param name="payload">Room for decoded bytes.</param>
    /// <param name="consumed">How many input bytes were used (decode the rest in a next call).</param>
    /// <param name="written">How many payload bytes were written.</param>
    /// <exception cref="S3RequestException">The framing is not aws-chunked, or the payload exceeds the maximum.</exception>
    public void Decode(ReadOnlySpan<byte> encoded, Span<byte> payload, out int consumed, out int written)
    {
        consumed = 0;
        written = 0;
        while (consumed < encoded.Length && _state != State.Done)
        {
            if (_state == State.Data)
            {
                var n = (int)Math.Min(_remaining, Math.Min(encoded.Length - consumed, payload.Length - written));
                if (n == 0)
                {
                    return;
                }

                encoded.Slice(consumed, n).CopyTo(payload[written..]);
                consumed += n;
                written += n;
                _remaining -= n;
                _state = _remaining == 0 ? State.DataEnd : State.Data;
                continue;
            }

            var rest = encoded[consumed..];
            var newline = rest.IndexOf((byte)'\n');
            var take = newline < 0 ? rest.Length : newline + 1;
            if (_lineLength + take > MaxLineBytes)
            {
                throw new S3RequestException(400, "InvalidArgument", $"The aws-chunked body has a chunk header or trailer longer than {MaxLineBytes} bytes.");
            }

            rest[..take].CopyTo(_line.AsSpan(_lineLength));
            _lineLength += take;
            consumed += take;
            if (newline >= 0)
            {
                var line = _line.AsSpan(0, _lineLength);
                _lineLength = 0;
                if (line.Length < 2 || line[^2] != '\r')
                {
                    throw new S3RequestException(400, "InvalidArgument", "The aws-chunked body has a line that does not end with CRLF.");
                }

                OnLine(line[..^2]);
            }
        }
    }

    /// <summary>Checks that the body ended where aws-chunked allows: after the last chunk (its trailers may be cut after a whole line, as some clients send it).</summary>
    /// <exception cref="S3RequestException"><c>IncompleteBody</c>.</exception>
    public void Complete()
    {
        if (_state == State.Done || (_state == State.Trailer && _lineLength == 0))
        {
            _state = State.Done;
            return;
        }

        throw new S3RequestException(400, "IncompleteBody", _state == State.Data || _state == State.DataEnd
            ? $"The aws-chunked body ends inside a chunk ({_remaining} bytes of it missing)."
            : "The aws-chunked body ends before its last (zero-size) chunk.");
    }

    private void OnLine(ReadOnlySpan<byte> line)
    {
        switch (_state)
        {
            case State.DataEnd when line.Length == 0:
                _state = State.Size;
                break;
            case State.DataEnd:
                throw new S3RequestException(400, "InvalidArgument", "The aws-chunked body has more data in a chunk than its size says.");
            case State.Size:
                var size = ParseSize(line);
                if (size > _maxPayloadBytes - PayloadBytes)
                {
                    throw new S3RequestException(400, "EntityTooLarge", $"Your proposed upload exceeds the maximum allowed size: a chunk of {size} bytes after {PayloadBytes} goes over {_maxPayloadBytes}.");
                }

                PayloadBytes += size;
                (_remaining, _state) = (size, size == 0 ? State.Trailer : State.Data);
                break;
            case State.Trailer when line.Length == 0:
                _state = State.Done;
                break;
            case State.Trailer when line.IndexOf((byte)':') <= 0 || ++_trailers > MaxTrailerLines:
                throw new S3RequestException(400, "InvalidArgument", "The aws-chunked body has a trailer that is not a header (name:value), or too many of them.");
            default:
                // A trailer header (x-amz-checksum-…, x-amz-trailer-signature): not checked, as signatures are not.
                break;
        }
    }

    // hex-size, then optionally ';' and chunk extensions (the signature). Over 15 hex digits cannot be a size at all.
    private static long ParseSize(ReadOnlySpan<byte> line)
    {
        var semicolon = line.IndexOf((byte)';');
        var hex = semicolon < 0 ? line : line[..semicolon];
        if (hex.Length == 0 || (hex.Length > 15 && hex.TrimStart((byte)'0').Length > 15))
        {
            throw hex.Length == 0
                ? new S3RequestException(400, "InvalidArgument", "The aws-chunked body has a chunk without a size.")
                : new S3RequestException(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size: a chunk size of over 15 hex digits.");
        }

        return long.TryParse(Encoding.ASCII.GetString(hex), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var size) && size >= 0
            ? size
            : throw new S3RequestException(400, "InvalidArgument", $"The aws-chunked body has a chunk size that is not hexadecimal: '{Encoding.ASCII.GetString(hex[..Math.Min(hex.Length, 20)])}'.");
    }
}
