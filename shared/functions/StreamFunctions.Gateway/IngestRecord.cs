using StreamFunctions.Producers;

namespace StreamFunctions.Gateway;

/// <summary>One record of an ingest request.</summary>
/// <param name="Record">What to write.</param>
/// <param name="IdempotencyKey">The caller's key for deduplication, or null.</param>
public sealed record IngestRecord(ProducerRecord Record, string? IdempotencyKey);

/// <summary>What is wrong with a request: the record (or null for the request as a whole), the rule and a message.</summary>
/// <param name="RecordIndex">The record's index in the request, or null.</param>
/// <param name="Rule">The rule broken, e.g. <c>partitionKey.length</c>.</param>
/// <param name="Message">What is wrong, for a person.</param>
public sealed record IngestError(int? RecordIndex, string Rule, string Message);
