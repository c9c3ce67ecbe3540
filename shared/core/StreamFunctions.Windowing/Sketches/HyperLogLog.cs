using System.Numerics;

namespace StreamFunctions.Windowing.Sketches;

/// <summary>
/// A HyperLogLog distinct counter (Flajolet et al. 2007, with linear counting for small cardinalities and a
/// 64-bit hash, so no large-range correction): 2^p one-byte registers, a relative standard error of
/// 1.04 / √(2^p) — 1.63% at the default p = 12 (4 KiB), 0.81% at p = 14 (16 KiB). Mergeable: the union of two
/// sketches of the same precision is their register-wise maximum, exactly as if one had seen both inputs.
/// </summary>
public sealed class HyperLogLog
{
    /// <summary>The default precision.</summary>
    public const int DefaultPrecision = 12;

    private readonly byte[] _registers;

    /// <summary>Creates an empty sketch.</summary>
    /// <param name="precision">p: 2^p registers, 4 to 18.</param>
    public HyperLogLog(int precision = DefaultPrecision)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(precision, 4);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(precision, 18);
        Precision = precision;
        _registers = new byte[1 << precision];
    }

    private HyperLogLog(int precision, byte[] registers)
    {
        Precision = precision;
        _registers = registers;
    }

    /// <summary>p.</summary>
    public int Precision { get; }

    /// <summary>The relative standard error of <see cref="Estimate"/>: 1.04 / √(2^p).</summary>
    public double StandardError => 1.04 / Math.Sqrt(_registers.Length);

    /// <summary>The registers (for saving the sketch).</summary>
    public ReadOnlySpan<byte> Registers => _registers;

    /// <summary>Restores a saved sketch.</summary>
    /// <param name="registers">2^p registers.</param>
    /// <returns>The sketch.</returns>
    /// <exception cref="FormatException">The length is not a power of two in range, or a register is out of range.</exception>
    public static HyperLogLog FromRegisters(ReadOnlySpan<byte> registers)
    {
        var p = BitOperations.Log2((uint)Math.Max(registers.Length, 1));
        if (registers.Length != 1 << p || p is < 4 or > 18)
        {
            throw new FormatException($"A HyperLogLog has 2^4 to 2^18 registers, not {registers.Length}.");
        }

        foreach (var r in registers)
        {
            if (r > 64 - p + 1)
            {
                throw new FormatException($"A HyperLogLog register holds at most {64 - p + 1}, not {r}.");
            }
        }

        return new HyperLogLog(p, registers.ToArray());
    }

    /// <summary>Adds an item by its hash (<see cref="StableHash"/>).</summary>
    /// <param name="hash">The item's 64-bit hash.</param>
    public void AddHash(ulong hash)
    {
        var index = (int)(hash >> (64 - Precision));
        var rest = (hash << Precision) | (1UL << (Precision - 1));
        var rank = (byte)(BitOperations.LeadingZeroCount(rest) + 1);
        if (rank > _registers[index])
        {
            _registers[index] = rank;
        }
    }

    /// <summary>Adds an item.</summary>
    /// <param name="item">The item.</param>
    public void Add(string item) => AddHash(StableHash.Hash64(item));

    /// <summary>Adds what <paramref name="other"/> has seen.</summary>
    /// <param name="other">A sketch of the same precision.</param>
    /// <exception cref="ArgumentException">The precisions differ.</exception>
    public void Merge(HyperLogLog other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Precision != Precision)
        {
            throw new ArgumentException($"Cannot merge a HyperLogLog of precision {other.Precision} into one of {Precision}.", nameof(other));
        }

        for (var i = 0; i < _registers.Length; i++)
        {
            _registers[i] = Math.Max(_registers[i], other._registers[i]);
        }
    }

    /// <summary>The estimated number of distinct items.</summary>
    /// <returns>The estimate.</returns>
    public double Estimate()
    {
        var m = (double)_registers.Length;
        var sum = 0.0;
        var zeros = 0;
        foreach (var r in _registers)
        {
            sum += Math.ScaleB(1.0, -r);
            zeros += r == 0 ? 1 : 0;
        }

        var alpha = _registers.Length switch
        {
            16 => 0.673,
            32 => 0.697,
            64 => 0.709,
            _ => 0.7213 / (1 + (1.079 / m)),
        };
        var estimate = alpha * m * m / sum;
        return estimate <= 2.5 * m && zeros > 0 ? m * Math.Log(m / zeros) : estimate;
    }
}
