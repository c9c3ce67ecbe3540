using System.Text;
using Xunit.Sdk;

namespace StreamFunctions.Fuzz.Tests;

/// <summary>
/// The contract every decoder of outside input is held to: on any input it returns, or throws one of its documented
/// errors with a message; it never crashes with another exception, never hangs, and never allocates out of proportion
/// to the input. Inputs are valid samples mutated from a seed (bit flips, truncation, inserted or repeated bytes,
/// deep nesting, huge numbers and strings, random bytes), so a failure names a seed that reproduces it.
/// </summary>
internal static class Fuzz
{
    /// <summary>How long one decode may take before it counts as a hang (generous: a 6 MB input on a loaded CI machine).</summary>
    private static readonly TimeSpan HangAfter = TimeSpan.FromSeconds(20);

    /// <summary>Mutates one of the samples as the seed says.</summary>
    public static byte[] Mutate(IReadOnlyList<byte[]> samples, int seed)
    {
        var random = new Random(seed);
        var input = samples[random.Next(samples.Count)].ToList();
        var edits = 1 + random.Next(4);
        for (var e = 0; e < edits; e++)
        {
            var at = input.Count == 0 ? 0 : random.Next(input.Count);
            switch (random.Next(10))
            {
                case 0:
                    if (input.Count > 0)
                    {
                        input[at] ^= (byte)(1 << random.Next(8));
                    }

                    break;
                case 1:
                    input.RemoveRange(at, input.Count - at);
                    break;
                case 2:
                    var noise = new byte[1 + random.Next(16)];
                    random.NextBytes(noise);
                    input.InsertRange(at, noise);
                    break;
                case 3:
                    var length = Math.Min(input.Count - at, 1 + random.Next(64));
                    var slice = input.GetRange(at, length);
                    for (var r = random.Next(1, 50); r > 0; r--)
                    {
                        input.InsertRange(at, slice);
                    }

                    break;
                case 4:
                    input.InsertRange(at, Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(random.Next(2) == 0 ? "[" : "{\"a\":", 1 + random.Next(2_000)))));
                    break;
                case 5:
                    input.InsertRange(at, Encoding.UTF8.GetBytes(random.Next(3) switch { 0 => "1e999999", 1 => "-99999999999999999999999999999", _ => "18446744073709551616" }));
                    break;
                case 6:
                    input.InsertRange(at, Encoding.UTF8.GetBytes(new string((char)('a' + random.Next(26)), random.Next(1, 200_000))));
                    break;
                case 7:
                    input.InsertRange(at, random.Next(4) switch { 0 => [0xC3], 1 => [0xED, 0xA0, 0x80], 2 => [0xFF, 0xFE], _ => [0] });
                    break;
                case 8:
                    input.InsertRange(at, Encoding.UTF8.GetBytes(random.Next(4) switch { 0 => "null", 1 => "\"\"", 2 => "\\u0000", _ => "true" }));
                    break;
                default:
                    var bytes = new byte[random.Next(256)];
                    random.NextBytes(bytes);
                    return bytes;
            }
        }

        return [.. input];
    }

    /// <summary>Decodes <paramref name="input"/> on a thread of its own and checks the contract.</summary>
    /// <param name="decoder">The decoder's name, for messages.</param>
    /// <param name="input">The input.</param>
    /// <param name="decode">The decode.</param>
    /// <param name="isDocumentedError">Whether an exception is one of the decoder's documented errors.</param>
    /// <param name="seed">The seed that made the input, for messages.</param>
    /// <param name="warmUp">
    /// Decode the input once before the measured decode: what is measured is then what a decode of that size allocates
    /// each time, not the buffers the shared array pool keeps from the first one (a 6 MB Function URL event measured
    /// 210 MiB the first time and 42 MiB from then on, the difference pooled).
    /// </param>
    /// <returns>Whether the input was accepted (false: a documented error).</returns>
    public static bool Check(string decoder, byte[] input, Action<byte[]> decode, Func<Exception, bool> isDocumentedError, int? seed = null, bool warmUp = false)
    {
        Exception? failure = null;
        var accepted = false;
        long allocated = 0;
        var thread = new Thread(() =>
        {
            if (warmUp)
            {
                try
                {
                    decode(input);
                }
                catch (Exception e) when (!isDocumentedError(e))
                {
                    // A crash already: reported as such, nothing measured.
                    failure = e;
                    return;
                }
                catch (Exception e) when (isDocumentedError(e))
                {
                    // A documented error: the measured decode below gives it again, and its allocation is checked.
                }
            }

            var before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                decode(input);
                accepted = true;
            }
            catch (Exception e)
            {
                failure = e;
            }

            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }, maxStackSize: 1024 * 1024);
        thread.Start();
        var where = $"{decoder}, {(seed is { } s ? $"seed {s}, " : "")}{input.Length} bytes";
        if (!thread.Join(HangAfter))
        {
            throw new XunitException($"{where}: still decoding after {HangAfter.TotalSeconds} s (a hang)");
        }

        if (failure is not null && !isDocumentedError(failure))
        {
            throw new XunitException($"{where}: crashed with {failure.GetType().FullName}: {failure.Message}\ninput: {Show(input)}\n{failure}");
        }

        if (failure is not null && string.IsNullOrWhiteSpace(failure.Message))
        {
            throw new XunitException($"{where}: {failure.GetType().Name} without a message");
        }

        var bound = AllocationBound(input.Length);
        if (allocated > bound)
        {
            throw new XunitException($"{where}: allocated {allocated / 1024 / 1024} MiB, more than {bound / 1024 / 1024} MiB");
        }

        return accepted;
    }

    /// <summary>What a decode may allocate: 32 bytes per input byte plus 16 MiB (a 6 MB input: under 210 MiB, far from 1 GB).</summary>
    public static long AllocationBound(int inputLength) => (32L * inputLength) + (16L * 1024 * 1024);

    private static string Show(byte[] input) =>
        input.Length <= 600 ? Convert.ToBase64String(input) : Convert.ToBase64String(input.AsSpan(0, 600)) + $"… ({input.Length} bytes)";
}
