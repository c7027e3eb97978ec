using RegionClip.Torch.nn;

namespace RegionClip.Torch.Tests.Nn;

/// <summary>nn.init.skip(): modules built only to be filled from a file draw no random numbers.</summary>
public sealed class SkipInitTests : TorchTest
{
    [Fact]
    public void ModulesBuiltInsideSkipDrawNoRandomNumbersAndOutsideTheyDo()
    {
        static float NextDraw(bool build, bool skip)
        {
            torch.manual_seed(11);
            if (build)
            {
                using var scope = skip ? init.skip() : null;
                using var conv = new Conv2d(8, 8, 3);
                using var linear = new Linear(16, 4);
            }
            using var r = torch.rand(1);
            return r.item<float>();
        }

        var untouched = NextDraw(build: false, skip: false);
        Assert.Equal(untouched, NextDraw(build: true, skip: true));
        Assert.NotEqual(untouched, NextDraw(build: true, skip: false));
        Assert.False(init.skipping);   // the scope ended
    }

    [Fact]
    public void SkipScopesNestAndEndOnce()
    {
        var outer = init.skip();
        var inner = init.skip();
        inner.Dispose();
        inner.Dispose();   // a second Dispose must not end the outer scope
        Assert.True(init.skipping);
        outer.Dispose();
        Assert.False(init.skipping);
    }
}
