using StreamFunctions.FuzzTargets;

// The decoders as AFL++ targets (SharpFuzz, out of process): scripts/fuzz.sh instruments the platform's assemblies,
// writes the seeds and runs afl-fuzz on one target. A documented error is a normal outcome; any other exception
// propagates, and SharpFuzz reports it to AFL as a crash.
//   StreamFunctions.FuzzTargets list                 the targets
//   StreamFunctions.FuzzTargets seeds <target> <dir>  the target's valid samples, one file each
//   StreamFunctions.FuzzTargets run <target>          the AFL target (reads inputs from AFL)
//   StreamFunctions.FuzzTargets check <target> <dir>  runs every file of a folder (e.g. AFL's crashes) once, printing what each did
switch (args)
{
    case ["list"]:
        foreach (var listed in Decoders.All)
        {
            Console.WriteLine($"{listed.Id,-20} {listed.Name}");
        }

        return 0;
    case ["seeds", var target, var directory]:
        Directory.CreateDirectory(directory);
        var samples = Decoders.ById(target).Samples;
        for (var i = 0; i < samples.Count; i++)
        {
            File.WriteAllBytes(Path.Combine(directory, $"sample-{i}"), samples[i]);
        }

        return 0;
    case ["run", var target]:
        // Instrumented code may run only inside Run, once AFL's shared memory is mapped: the decoders (whose
        // static samples run platform code) are looked up in the first input.
        Decoder? decoder = null;
        SharpFuzz.Fuzzer.OutOfProcess.Run(stream =>
        {
            decoder ??= Decoders.ById(target);
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            try
            {
                decoder.Decode(buffer.ToArray());
            }
            catch (Exception e) when (decoder.IsDocumentedError(e))
            {
                // A clear error: what the decoder promises for bad input.
            }
        });
        return 0;
    case ["check", var target, var directory]:
        var checkedDecoder = Decoders.ById(target);
        var failures = 0;
        foreach (var file in Directory.EnumerateFiles(directory).Where(f => !f.EndsWith("README.txt", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            try
            {
                checkedDecoder.Decode(File.ReadAllBytes(file));
                Console.WriteLine($"{Path.GetFileName(file)}: accepted");
            }
            catch (Exception e) when (checkedDecoder.IsDocumentedError(e))
            {
                Console.WriteLine($"{Path.GetFileName(file)}: {e.GetType().Name}: {e.Message}");
            }
            catch (Exception e)
            {
                failures++;
                Console.WriteLine($"{Path.GetFileName(file)}: CRASH {e.GetType().FullName}: {e.Message}");
            }
        }

        return failures == 0 ? 0 : 1;
    default:
        Console.Error.WriteLine("usage: StreamFunctions.FuzzTargets list | seeds <target> <dir> | run <target> | check <target> <dir>");
        return 2;
}
