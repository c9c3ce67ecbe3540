using System.Globalization;
using System.Text;

namespace StreamFunctions.Testing.Lambda;

/// <summary>A Kinesis event the size Lambda sends at most (about 6 MB), with random data.</summary>
public static class LargeKinesisEvent
{
    public static byte[] Create(int records, int dataBytes)
    {
        var random = new Random(11);
        var data = new byte[dataBytes];
        var json = new StringBuilder(records * (dataBytes * 4 / 3 + 450));
        json.Append("{\"Records\":[");
        for (var i = 0; i < records; i++)
        {
            random.NextBytes(data);
            var sequence = "4959033827149025660855969253836157109592157598913" + i.ToString("D7", CultureInfo.InvariantCulture);
            json.Append(i == 0 ? "" : ",")
                .Append("{\"kinesis\":{\"kinesisSchemaVersion\":\"1.0\",\"partitionKey\":\"user-").Append(random.Next(100_000))
                .Append("\",\"sequenceNumber\":\"").Append(sequence)
                .Append("\",\"data\":\"").Append(Convert.ToBase64String(data))
                .Append("\",\"approximateArrivalTimestamp\":1545084650.987},\"eventSource\":\"aws:kinesis\",\"eventVersion\":\"1.0\",\"eventID\":\"shardId-000000000006:").Append(sequence)
                .Append("\",\"eventName\":\"aws:kinesis:record\",\"invokeIdentityArn\":\"arn:aws:iam::123456789012:role/lambda-role\",\"awsRegion\":\"us-east-2\",\"eventSourceARN\":\"arn:aws:kinesis:us-east-2:123456789012:stream/lambda-stream\"}");
        }

        json.Append("]}");
        return Encoding.UTF8.GetBytes(json.ToString());
    }
}
