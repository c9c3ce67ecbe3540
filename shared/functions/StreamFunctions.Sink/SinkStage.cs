namespace StreamFunctions.Sink;

/// <summary>The steps of a write and a flush, in order: where a crash can happen (and what tests kill at).</summary>
public enum SinkStage
{
    /// <summary>The batch is encoded; its chunk is about to be staged.</summary>
    BeforeChunkPut,

    /// <summary>The chunk is staged in S3; the state does not reference it yet.</summary>
    AfterChunkPut,

    /// <summary>The state references the chunk and the batch's last sequence number: the batch is durable.</summary>
    AfterBatchCommit,

    /// <summary>A multipart part is about to be uploaded.</summary>
    BeforePartUpload,

    /// <summary>A part is uploaded; the state does not record it yet.</summary>
    AfterPartUpload,

    /// <summary>The state records the part (its staged chunks are released).</summary>
    AfterPartCommit,

    /// <summary>Due partitions are sealed: their object keys and contents are final.</summary>
    AfterSeal,

    /// <summary>A multipart upload is about to be completed.</summary>
    BeforeComplete,

    /// <summary>A multipart upload is completed (into staging); the object is not yet at its key.</summary>
    AfterComplete,

    /// <summary>The delivered objects are at their keys; the state still lists their partitions.</summary>
    AfterObjectWrite,

    /// <summary>The state no longer lists the delivered partitions.</summary>
    AfterFlushCommit,
}
