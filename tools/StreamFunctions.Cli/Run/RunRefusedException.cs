namespace StreamFunctions.Cli.Run;

/// <summary>
/// <c>sfn run</c> will not start as asked, before it touched anything: a folder it did not create, a folder or log another
/// run holds, a kept log whose stream does not fit the pipeline. The message is one line naming the folder and what to do;
/// the command prints it and exits with 2.
/// </summary>
internal sealed class RunRefusedException(string message, Exception? innerException = null) : Exception(message, innerException);
