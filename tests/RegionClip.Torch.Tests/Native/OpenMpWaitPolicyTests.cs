using System.Runtime.InteropServices;
using RegionClip.Torch.Native;

namespace RegionClip.Torch.Tests.Native;

public sealed partial class OpenMpWaitPolicyTests : TorchTest
{
    [Fact]
    public void LibgompIsToldToSpinBrieflyUnlessTheUserChose()
    {
        using var x = torch.ones(1);   // the shim, and with it libgomp, is loaded by now
        var user = Environment.GetEnvironmentVariable("GOMP_SPINCOUNT");
        var policy = Environment.GetEnvironmentVariable("OMP_WAIT_POLICY");
        var seen = Marshal.PtrToStringUTF8(getenv("GOMP_SPINCOUNT"));
        if (!string.IsNullOrEmpty(user) || !string.IsNullOrEmpty(policy))
            Assert.Equal(string.IsNullOrEmpty(user) ? null : user, seen);   // the user's choice, untouched
        else
            Assert.Equal(OpenMpWaitPolicy.SpinCount, seen);
    }

    [LibraryImport("libc", EntryPoint = "getenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr getenv(string name);
}
