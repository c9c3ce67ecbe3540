namespace StreamFunctions.Sink;

/// <summary>A setting cannot work for the records at hand (an error or backup prefix too long for their object keys); the message names it.</summary>
/// <param name="message">Which setting, and why.</param>
public sealed class SinkConfigurationException(string message) : Exception(message);
