namespace StreamFunctions.Sink;

/// <summary>What a write did.</summary>
/// <param name="SourceRecords">Records in the event.</param>
/// <param name="Skipped">Records already durable (a redelivery) and skipped.</param>
/// <param name="Delivered">User records buffered for delivery (Ok).</param>
/// <param name="Dropped">User records the transformation dropped.</param>
/// <param name="Failed">User records sent to the error prefix.</param>
/// <param name="ObjectsWritten">Objects delivered during the call.</param>
/// <param name="FlushError">Why a flush after the durable write failed (the records are safe; the flush is retried), or null.</param>
public sealed record SinkResult(int SourceRecords, int Skipped, int Delivered, int Dropped, int Failed, int ObjectsWritten, string? FlushError)
{
    /// <summary>Adds two results.</summary>
    /// <param name="left">One.</param>
    /// <param name="right">The other.</param>
    /// <returns>The sum.</returns>
    public static SinkResult operator +(SinkResult left, SinkResult right)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        return new(left.SourceRecords + right.SourceRecords, left.Skipped + right.Skipped, left.Delivered + right.Delivered, left.Dropped + right.Dropped, left.Failed + right.Failed, left.ObjectsWritten + right.ObjectsWritten, left.FlushError ?? right.FlushError);
    }

    /// <summary>Adds two results.</summary>
    /// <param name="left">One.</param>
    /// <param name="right">The other.</param>
    /// <returns>The sum.</returns>
    public static SinkResult Add(SinkResult left, SinkResult right) => left + right;

    /// <summary>User records accounted for: delivered, dropped by the transformation, or sent to the error prefix.</summary>
    public int UserRecords => Delivered + Dropped + Failed;
}
