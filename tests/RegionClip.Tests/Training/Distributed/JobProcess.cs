using System.Diagnostics;
using System.Text;

namespace RegionClip.Tests.Training.Distributed;

/// <summary>One process of a multi-process test job (the CLI under `dotnet`, or Debian's python3), its output drained as it runs.</summary>
internal sealed class JobProcess : IDisposable
{
    internal const string SystemPython = "/usr/bin/python3";
    private readonly Process _process;
    private readonly StringBuilder _stdout = new(), _stderr = new();

    private JobProcess(ProcessStartInfo start)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => { lock (_stdout) _stdout.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { lock (_stderr) _stderr.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>The CLI with <paramref name="args"/>; <paramref name="env"/> adds environment variables (RANK, WORLD_SIZE, …).</summary>
    internal static JobProcess Cli(IReadOnlyDictionary<string, string>? env, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet");
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "RegionClip.Cli.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) start.Environment[k] = v;
        start.Environment["REGIONCLIP_NUM_THREADS"] = "1";
        return new JobProcess(start);
    }

    internal static JobProcess Python(params string[] args) => new(new ProcessStartInfo(SystemPython, args));

    /// <summary>torchrun's variables for rank <paramref name="rank"/> of <paramref name="world"/> on this machine.</summary>
    internal static Dictionary<string, string> RankEnvironment(int rank, int world, int port, double timeoutSeconds = 60) => new()
    {
        ["RANK"] = $"{rank}", ["LOCAL_RANK"] = $"{rank}", ["WORLD_SIZE"] = $"{world}", ["LOCAL_WORLD_SIZE"] = $"{world}",
        ["MASTER_ADDR"] = "127.0.0.1", ["MASTER_PORT"] = $"{port}",
        ["REGIONCLIP_DIST_TIMEOUT"] = timeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    internal static bool PythonWithTorch()
    {
        if (!File.Exists(SystemPython)) return false;
        using var p = new JobProcess(new ProcessStartInfo(SystemPython, ["-c", "import torch.distributed as d; assert d.is_available()"]));
        return p.Wait(TimeSpan.FromMinutes(2)) == 0;
    }

    internal bool HasExited => _process.HasExited;

    internal string Stdout
    {
        get { lock (_stdout) return _stdout.ToString(); }
    }

    internal string Stderr
    {
        get { lock (_stderr) return _stderr.ToString(); }
    }

    /// <summary>The exit code, or -1 after killing a process that outlived <paramref name="limit"/>.</summary>
    internal int Wait(TimeSpan limit)
    {
        if (!_process.WaitForExit(limit))
        {
            Kill();
            return -1;
        }
        _process.WaitForExit();   // the output events
        return _process.ExitCode;
    }

    /// <summary>Exit code 0 within <paramref name="limit"/>, or a failure showing what the process said.</summary>
    internal void AssertSucceeds(TimeSpan limit, string what)
    {
        var code = Wait(limit);
        Assert.True(code == 0, $"{what} exited with {code}:\n{Stderr}\n{Stdout}");
    }

    internal void Kill()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
