using System.Diagnostics;
using System.Text.Json;
using RegionClip.Cli.Demo;
using RegionClip.Training;

namespace RegionClip.Tests.Demo;

/// <summary>
/// The resume check on the real `demo --quick`, in a child process: one run goes
/// uninterrupted; another is killed (SIGKILL, no chance to save) in the middle of teacher training,
/// then rerun with --resume. Both must end with the same numbers. About five minutes on two cores.
/// </summary>
public sealed class DemoKillResumeTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(12);

    [Fact]
    public void KillingTheQuickDemoMidTrainingThenResumingEndsWithTheSameNumbers()
    {
        using var whole = new TempDir("demo-whole");
        using var killed = new TempDir("demo-killed");
        Assert.Equal(0, Demo(whole.FullName).WaitForExitCode(Limit));

        // Kill once the teacher is past its first checkpoint (every 100 steps) but not finished.
        var log = Path.Combine(killed.FullName, "teacher", ClipTeacherTrainer.LogFile);
        using (var victim = Demo(killed.FullName))
        {
            var clock = Stopwatch.StartNew();
            while (LastStep(log) < 150)
            {
                Assert.False(victim.HasExited, $"the demo ended before it could be killed:\n{victim.Errors}");
                Assert.True(clock.Elapsed < Limit, "the demo did not reach teacher step 150 in time");
                Thread.Sleep(200);
            }
            victim.Kill();
        }
        Assert.False(File.Exists(Path.Combine(killed.FullName, DemoReport.JsonFile)));
        Assert.Equal(0, Demo(killed.FullName, "--resume").WaitForExitCode(Limit));

        Assert.Equal(Metrics(whole.FullName), Metrics(killed.FullName));
    }

    private static DemoProcess Demo(string outDir, params string[] extra)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "RegionClip.Cli.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { cli, "demo", "--quick", "--out", outDir }.Concat(extra)) start.ArgumentList.Add(a);
        return new DemoProcess(Process.Start(start)!);
    }

    private static long LastStep(string log)
    {
        if (!File.Exists(log)) return -1;
        try
        {
            var last = File.ReadLines(log).Skip(1).LastOrDefault(l => l.Length > 0);
            return last is null ? -1 : long.Parse(last.Split(',')[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or FormatException)
        {
            return -1;   // a row being written
        }
    }

    private static string Metrics(string outDir)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, DemoReport.JsonFile)));
        return json.RootElement.GetProperty("metrics").GetRawText();
    }
}

/// <summary>A child demo whose output pipes are drained as it runs (a full pipe would stall it); stderr is kept for failure messages.</summary>
internal sealed class DemoProcess : IDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _stderr = new();

    public DemoProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, e) => { lock (_stderr) _stderr.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public bool HasExited => _process.HasExited;

    public string Errors
    {
        get { lock (_stderr) return _stderr.ToString(); }
    }

    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public int WaitForExitCode(TimeSpan limit)
    {
        using (this)
        {
            if (!_process.WaitForExit(limit))
            {
                _process.Kill(entireProcessTree: true);
                throw new TimeoutException($"the demo took longer than {limit}:\n{Errors}");
            }
            _process.WaitForExit();
            if (_process.ExitCode != 0) throw new Xunit.Sdk.XunitException($"the demo exited with {_process.ExitCode}:\n{Errors}");
            return _process.ExitCode;
        }
    }

    public void Dispose() => _process.Dispose();
}
