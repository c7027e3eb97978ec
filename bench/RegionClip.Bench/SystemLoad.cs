using System.Diagnostics;
using System.Globalization;

namespace RegionClip.Bench;

/// <summary>
/// How busy the machine is, from /proc: benchmarks of OpenMP code are badly distorted when other
/// processes want the same cores, so the orchestrator waits for a quiet machine and records how
/// much CPU other processes used during each measured run.
/// </summary>
internal static class SystemLoad
{
    private const double TicksPerSecond = 100; // USER_HZ on Linux

    /// <summary>Busy CPU ticks of the whole machine (all cores), or null where /proc is missing.</summary>
    public static long? MachineBusyTicks()
    {
        try
        {
            var f = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            // cpu user nice system idle iowait irq softirq steal ...
            long T(int i) => long.Parse(f[i], CultureInfo.InvariantCulture);
            return T(1) + T(2) + T(3) + T(6) + T(7) + T(8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>CPU ticks of this process plus its reaped children (utime, stime, cutime, cstime).</summary>
    public static long? OwnAndChildrenTicks()
    {
        try
        {
            var s = File.ReadAllText("/proc/self/stat");
            var f = s[(s.LastIndexOf(')') + 2)..].Split(' ');
            // fields after "pid (comm) ": state=0 ... utime=11 stime=12 cutime=13 cstime=14
            return long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture)
                 + long.Parse(f[13], CultureInfo.InvariantCulture) + long.Parse(f[14], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>Minor page faults of this process so far (0 where /proc is missing).</summary>
    public static long MinorFaults()
    {
        try
        {
            var s = File.ReadAllText("/proc/self/stat");
            return long.Parse(s[(s.LastIndexOf(')') + 2)..].Split(' ')[7], CultureInfo.InvariantCulture); // minflt
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 0;
        }
    }

    /// <summary>
    /// This process's resident-set high-water mark in MB (VmHWM: the figure getrusage reports as
    /// ru_maxrss, which the Python side reads), or null where /proc is missing.
    /// </summary>
    public static double? PeakRssMb()
    {
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            if (line is null) return null;
            var kb = long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            return kb / 1024.0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    /// <summary>Cores' worth of CPU that everything else used over the last <paramref name="seconds"/>.</summary>
    public static double? Sample(double seconds)
    {
        var m0 = MachineBusyTicks();
        var o0 = OwnAndChildrenTicks();
        Thread.Sleep(TimeSpan.FromSeconds(seconds));
        var m1 = MachineBusyTicks();
        var o1 = OwnAndChildrenTicks();
        if (m0 is null || m1 is null || o0 is null || o1 is null) return null;
        return Math.Max(0, (m1.Value - m0.Value) - (o1.Value - o0.Value)) / TicksPerSecond / seconds;
    }

    /// <summary>
    /// Waits until other processes use less than <paramref name="threshold"/> cores for two
    /// one-second samples in a row, or until <paramref name="maxWait"/>; returns the seconds waited.
    /// </summary>
    public static double WaitForQuiet(double threshold, TimeSpan maxWait)
    {
        var sw = Stopwatch.StartNew();
        int quiet = 0;
        bool announced = false;
        while (quiet < 2)
        {
            var load = Sample(1.0);
            if (load is null) return sw.Elapsed.TotalSeconds; // no /proc: nothing to wait for
            quiet = load < threshold ? quiet + 1 : 0;
            if (quiet == 0 && !announced)
            {
                Console.WriteLine($"  waiting for a quiet machine (other processes use {load:F2} cores; threshold {threshold:F2}, at most {maxWait.TotalSeconds:F0} s)");
                announced = true;
            }
            if (sw.Elapsed > maxWait)
            {
                Console.WriteLine($"  the machine stayed busy for {maxWait.TotalSeconds:F0} s; measuring anyway (see other_load in the report)");
                break;
            }
        }
        return sw.Elapsed.TotalSeconds;
    }

    public static double[] LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ').Take(3).Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        }
        catch (IOException)
        {
            return [];
        }
    }

    public static string CpuName()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line is null ? "unknown CPU" : line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException)
        {
            return "unknown CPU";
        }
    }
}
