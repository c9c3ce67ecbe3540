using System.Text.Json;
using StreamFunctions.Lambda.Runtime;

namespace StreamFunctions.Functions.Echo;

/// <summary>Returns the event; an event <c>{"fail": "message"}</c> throws <see cref="EchoFailureException"/> with that message.</summary>
internal static class EchoHandler
{
    public static ValueTask<ReadOnlyMemory<byte>> HandleAsync(ReadOnlyMemory<byte> payload, ILambdaContext context, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        context.Logger.Info("echo", new KeyValuePair<string, object?>("bytes", payload.Length), new KeyValuePair<string, object?>("remainingMs", (long)context.RemainingTime.TotalMilliseconds));
        var reader = new Utf8JsonReader(payload.Span);
        if (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isFail = reader.ValueTextEquals("fail"u8);
                reader.Read();
                if (isFail && reader.TokenType == JsonTokenType.String)
                {
                    throw new EchoFailureException(reader.GetString()!);
                }

                reader.Skip();
            }
        }

        return ValueTask.FromResult(payload);
    }
}

/// <summary>The failure an event asked for.</summary>
internal sealed class EchoFailureException(string message) : Exception(message);
