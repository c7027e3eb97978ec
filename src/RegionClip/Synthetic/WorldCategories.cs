using RegionClip.Synthetic.Raster;
using static RegionClip.Synthetic.Raster.Shapes;
using P = RegionClip.Synthetic.Palette;

namespace RegionClip.Synthetic;

/// <summary>
/// The synthetic world's 36 object categories. Each has its own signature of outline, colours and
/// texture, and names a captioner would use. Every third category (ids 3, 6, 9, …) is novel:
/// 24 base and 12 novel, a fixed split shared by every world.
/// </summary>
public static class WorldCategories
{
    public static IReadOnlyList<Category> All { get; } = Build();

    public static IEnumerable<Category> Base => All.Where(c => !c.IsNovel);
    public static IEnumerable<Category> Novel => All.Where(c => c.IsNovel);

    private static ObjectPart Part(Shape shape, IPaint paint) => new(shape, paint);
    private static IPaint Solid(Rgb c) => new SolidPaint(c);
    private static IPaint Shade(IPaint p, double strength = 0.22) => new ShadedPaint(p, strength);

    private static NameForm N(string singular, string? plural = null) => new(singular, plural ?? Pluralize(singular));

    /// <summary>English plural of the phrase's last word (regular rules; irregular ones are given explicitly).</summary>
    internal static string Pluralize(string phrase)
    {
        var cut = phrase.LastIndexOf(' ') + 1;
        var (head, word) = (phrase[..cut], phrase[cut..]);
        if (word.EndsWith('s') || word.EndsWith('x') || word.EndsWith("ch", StringComparison.Ordinal) || word.EndsWith("sh", StringComparison.Ordinal))
            return head + word + "es";
        if (word.Length > 1 && word.EndsWith('y') && !"aeiou".Contains(word[^2]))
            return head + word[..^1] + "ies";
        return head + word + "s";
    }

    private static List<Category> Build()
    {
        var list = new List<Category>();
        void Add(string name, NameForm[] names, double rotation, Func<ObjectStyle, ObjectPart[]> build) =>
            list.Add(new Category(list.Count + 1, name, names, rotation, build) { IsNovel = list.Count % 3 == 2 });

        Add("apple", [N("apple")], 20, s =>
        [
            Part(Ellipse(0, 0.12, 0.9, 0.84), Shade(Solid(s.C(P.Red)), 0.3)),
            Part(Rect(-0.05, -0.95, 0.05, -0.62), Solid(s.C(P.Brown))),
            Part(Ellipse(0.28, -0.78, 0.3, 0.12, -25), Solid(s.C(P.Green))),
        ]);
        Add("orange", [N("orange"), N("tangerine"), N("mandarin")], 180, s =>
        [
            Part(Circle(0, 0, 0.96), Shade(new DotPaint(s.C(P.Orange), s.C(P.DarkOrange), 0.16, 0.03, true, s.Phase, s.Phase))),
            Part(Star(5, 0.14, 0.06, -90, 0, -0.8), Solid(s.C(P.DarkGreen))),
        ]);
        Add("lemon", [N("lemon")], 35, s =>
        [
            Part(new UnionShape(Ellipse(0, 0, 0.86, 0.66), Ellipse(-0.85, 0, 0.14, 0.1), Ellipse(0.85, 0, 0.14, 0.1)),
                 Shade(new NoisePaint(s.C(P.Yellow), s.C(P.PaleYellow), 0.15, s.Seed))),
        ]);
        Add("watermelon", [N("watermelon"), N("melon")], 30, s =>
        [
            Part(Ellipse(0, 0, 0.98, 0.68), Shade(new StripePaint(s.C(P.Green), s.C(P.DarkGreen), 0.3, 90, 0.4, s.Phase))),
        ]);
        Add("donut", [N("donut"), N("doughnut")], 180, s =>
        [
            Part(Ring(0, 0, 0.96, 0.34), Shade(Solid(s.C(P.LightBrown)))),
            Part(Ring(0, 0, 0.8, 0.44), new DotPaint(s.C(P.Pink), s.C(P.White), 0.2, 0.035, true, s.Phase, 0.3)),
        ]);
        Add("tire", [N("tire"), N("tyre"), N("wheel")], 180, s =>
        [
            Part(Ring(0, 0, 0.97, 0.55), new NoisePaint(s.C(P.Black), s.C(P.DarkGray), 0.08, s.Seed)),
            Part(Circle(0, 0, 0.55), Shade(new RadialGradientPaint(s.C(P.White), s.C(P.Gray), -0.1, -0.1, 0.6))),
            Part(Circle(0, 0, 0.13), Solid(s.C(P.DarkGray))),
        ]);
        Add("pizza slice", [N("pizza slice"), N("slice of pizza", "slices of pizza")], 40, s =>
        [
            Part(Polygon((-0.82, -0.8), (0.82, -0.8), (0, 0.97)), new DotPaint(s.C(P.Yellow), s.C(P.Red), 0.46, 0.12, true, s.Phase, 0.2)),
            Part(Polygon((-0.9, -0.97), (0.9, -0.97), (0.84, -0.75), (-0.84, -0.75)), Shade(Solid(s.C(P.LightBrown)))),
        ]);
        Add("chessboard", [N("chessboard"), N("checkerboard"), N("chess board")], 25, s =>
        [
            Part(Rect(-0.97, -0.97, 0.97, 0.97), new CheckPaint(s.C(P.Black), s.C(P.White), 0.485)),
        ]);
        Add("starfish", [N("starfish", "starfish"), N("sea star")], 180, s =>
        [
            Part(Star(5, 0.98, 0.42), Shade(new DotPaint(s.C(P.Orange), s.C(P.PaleYellow), 0.2, 0.035, true, s.Phase, s.Phase))),
        ]);
        Add("sheriff badge", [N("sheriff badge"), N("sheriff star"), N("badge")], 30, s =>
        [
            Part(Star(6, 0.98, 0.58), Shade(new RadialGradientPaint(s.C(P.PaleYellow), s.C(P.Gold), -0.2, -0.2, 1), 0.3)),
            Part(Circle(0, 0, 0.32), Solid(s.C(P.DarkGold))),
        ]);
        Add("stop sign", [N("stop sign")], 15, s =>
        [
            Part(Regular(8, 0.98, -67.5), Solid(s.C(P.White))),
            Part(Regular(8, 0.86, -67.5), Shade(Solid(s.C(P.Red)), 0.15)),
            Part(Rect(-0.58, -0.13, 0.58, 0.13), Solid(s.C(P.White))),
        ]);
        Add("heart", [N("heart"), N("love heart")], 25, s =>
        [
            Part(Heart(), Shade(new LinearGradientPaint(s.C(P.Magenta), s.C(P.Pink), 250), 0.2)),
        ]);
        Add("moon", [N("moon"), N("crescent moon"), N("crescent")], 60, s =>
        [
            Part(new DifferenceShape(Circle(0, 0, 0.96), Circle(0.42, -0.18, 0.78)), new NoisePaint(s.C(P.PaleYellow), s.C(P.Cream), 0.2, s.Seed)),
        ]);
        Add("sun", [N("sun")], 180, s =>
        [
            Part(Star(14, 0.98, 0.72), Solid(s.C(P.Orange))),
            Part(Circle(0, 0, 0.64), new RadialGradientPaint(s.C(P.PaleYellow), s.C(P.Yellow), 0, 0, 0.64)),
        ]);
        Add("beach ball", [N("beach ball")], 180, s =>
        [
            Part(Circle(0, 0, 0.97), Shade(new SectorPaint([s.C(P.Red), s.C(P.White), s.C(P.Blue), s.C(P.Yellow), s.C(P.White), s.C(P.Green)], 0, 0, 360 * s.Phase), 0.25)),
            Part(Circle(0, 0, 0.12), Solid(s.C(P.White))),
        ]);
        Add("traffic cone", [N("traffic cone"), N("safety cone"), N("cone")], 15, s =>
        [
            Part(Polygon((-0.5, 0.78), (0.5, 0.78), (0.1, -0.97), (-0.1, -0.97)), Shade(new StripePaint(s.C(P.Orange), s.C(P.White), 0.62, 90, 0.28, 0.1))),
            Part(Rect(-0.8, 0.76, 0.8, 0.97), Solid(s.C(P.DarkOrange))),
        ]);
        Add("ladybug", [N("ladybug"), N("ladybird"), N("beetle")], 180, s =>
        [
            Part(Ellipse(0, -0.7, 0.4, 0.27), Solid(s.C(P.Black))),
            Part(Ellipse(0, 0.12, 0.86, 0.84), Shade(new DotPaint(s.C(P.Red), s.C(P.Black), 0.56, 0.12, true, 0.25, 0.1))),
            Part(Rect(-0.03, -0.55, 0.03, 0.94), Solid(s.C(P.Black))),
        ]);
        Add("dice", [N("dice", "dice"), N("die", "dice")], 180, s =>
        [
            Part(RoundRect(-0.95, -0.95, 0.95, 0.95, 0.22), Shade(new DotPaint(s.C(P.White), s.C(P.Black), 0.62, 0.13, false), 0.15)),
        ]);
        Add("book", [N("book"), N("notebook")], 20, s =>
        [
            Part(Rect(-0.66, -0.98, 0.66, 0.98), Shade(Solid(s.C(P.Blue)), 0.15)),
            Part(Rect(0.5, -0.93, 0.63, 0.93), new StripePaint(s.C(P.White), s.C(P.LightGray), 0.05, 0)),
            Part(Rect(-0.48, -0.62, 0.36, -0.36), Solid(s.C(P.Gold))),
        ]);
        Add("door", [N("door"), N("wooden door")], 8, s =>
        [
            Part(Rect(-0.56, -0.99, 0.56, 0.99), new StripePaint(s.C(P.Brown), s.C(P.DarkRed), 0.2, 0, 0.12, s.Phase)),
            Part(Circle(0.36, 0.05, 0.08), Solid(s.C(P.Gold))),
        ]);
        Add("window", [N("window")], 10, s =>
        [
            Part(Rect(-0.92, -0.92, 0.92, 0.92), Solid(s.C(P.White))),
            Part(new UnionShape(Rect(-0.8, -0.8, -0.06, -0.06), Rect(0.06, -0.8, 0.8, -0.06), Rect(-0.8, 0.06, -0.06, 0.8), Rect(0.06, 0.06, 0.8, 0.8)),
                 new LinearGradientPaint(s.C(P.SkyBlue), s.C(P.Blue), 45)),
        ]);
        Add("pyramid", [N("pyramid")], 5, s =>
        [
            Part(Polygon((-0.99, 0.8), (0.99, 0.8), (0, -0.85)), new StripePaint(s.C(P.Tan), s.C(P.LightBrown), 0.18, 90, 0.12)),
            Part(Polygon((0, -0.85), (0.99, 0.8), (0.25, 0.8)), new StripePaint(s.C(P.LightBrown), s.C(P.Brown), 0.18, 90, 0.12)),
        ]);
        Add("tent", [N("tent"), N("camping tent")], 5, s =>
        [
            Part(Polygon((-0.97, 0.78), (0.97, 0.78), (0, -0.9)), Shade(Solid(s.C(P.Green)))),
            Part(Polygon((-0.32, 0.78), (0.32, 0.78), (0, -0.05)), Solid(s.C(P.DarkGreen))),
        ]);
        Add("kite", [N("kite")], 25, s =>
        [
            Part(Polygon((0, -0.99), (0.68, -0.28), (0, 0.99), (-0.68, -0.28)),
                 new SectorPaint([s.C(P.Red), s.C(P.Yellow), s.C(P.Blue), s.C(P.Green)], 0, -0.28, 0)),
        ]);
        Add("gem", [N("gem"), N("diamond"), N("jewel")], 20, s =>
        [
            Part(Polygon((-0.6, -0.62), (0.6, -0.62), (0.98, -0.2), (0, 0.95), (-0.98, -0.2)),
                 new LinearGradientPaint(s.C(P.Cyan), s.C(P.Navy), 70)),
            Part(Polygon((-0.6, -0.62), (0.6, -0.62), (0.98, -0.2), (-0.98, -0.2)), Solid(s.C(P.SkyBlue))),
        ]);
        Add("leaf", [N("leaf", "leaves")], 180, s =>
        [
            Part(Leaf(0.98, 0.45), new LinearGradientPaint(s.C(P.Lime), s.C(P.DarkGreen), 90, -0.45, 0.45)),
            Part(Rect(-0.92, -0.025, 0.92, 0.025), Solid(s.C(P.DarkGreen))),
        ]);
        Add("coin", [N("coin"), N("gold coin")], 180, s =>
        [
            Part(Circle(0, 0, 0.96), Shade(new RadialGradientPaint(s.C(P.PaleYellow), s.C(P.Gold), -0.3, -0.3, 1.2), 0.3)),
            Part(Ring(0, 0, 0.8, 0.7), Solid(s.C(P.DarkGold))),
        ]);
        Add("umbrella", [N("umbrella"), N("parasol")], 20, s =>
        [
            Part(UpperHalfEllipse(0, 0.05, 0.98, 0.9), new SectorPaint([s.C(P.Purple), s.C(P.White)], 0, 0.05, 0).Repeat(4)),
            Part(Rect(-0.035, 0.05, 0.035, 0.85), Solid(s.C(P.Black))),
            Part(new IntersectionShape(Ring(0.14, 0.82, 0.17, 0.1), Rect(-0.1, 0.82, 0.4, 1)), Solid(s.C(P.Black))),
        ]);
        Add("first aid kit", [N("first aid kit"), N("medical kit")], 15, s =>
        [
            Part(new DifferenceShape(RoundRect(-0.38, -0.98, 0.38, -0.55, 0.1), RoundRect(-0.26, -0.88, 0.26, -0.6, 0.05)), Solid(s.C(P.Gray))),
            Part(RoundRect(-0.96, -0.7, 0.96, 0.78, 0.12), Shade(Solid(s.C(P.White)), 0.12)),
            Part(new UnionShape(Rect(-0.15, -0.45, 0.15, 0.55), Rect(-0.5, -0.1, 0.5, 0.2)), Solid(s.C(P.Red))),
        ]);
        Add("fish", [N("fish", "fish")], 25, s =>
        [
            Part(Polygon((0.5, 0), (0.98, -0.5), (0.98, 0.5)), Solid(s.C(P.Navy))),
            Part(Ellipse(-0.18, 0, 0.78, 0.46), Shade(new DotPaint(s.C(P.Blue), s.C(P.SkyBlue), 0.17, 0.045, true, s.Phase, 0))),
            Part(Circle(-0.6, -0.1, 0.08), Solid(s.C(P.Black))),
        ]);
        Add("cloud", [N("cloud")], 8, s =>
        [
            Part(new UnionShape(Circle(-0.55, 0.18, 0.38), Circle(-0.05, -0.12, 0.55), Circle(0.5, 0.1, 0.42), RoundRect(-0.7, 0.1, 0.8, 0.56, 0.15)),
                 new LinearGradientPaint(s.C(P.White), s.C(P.LightGray), 90, -0.2, 0.6)),
        ]);
        Add("mushroom", [N("mushroom"), N("toadstool")], 15, s =>
        [
            Part(RoundRect(-0.26, -0.1, 0.26, 0.97, 0.12), Shade(Solid(s.C(P.Cream)), 0.15)),
            Part(UpperHalfEllipse(0, 0.05, 0.97, 0.9), Shade(new DotPaint(s.C(P.Red), s.C(P.White), 0.42, 0.09, true, s.Phase, 0.3))),
        ]);
        Add("carrot", [N("carrot")], 40, s =>
        [
            Part(new UnionShape(Ellipse(-0.2, -0.72, 0.1, 0.26, -20), Ellipse(0, -0.76, 0.1, 0.24), Ellipse(0.2, -0.72, 0.1, 0.26, 20)), Solid(s.C(P.Green))),
            Part(Polygon((-0.34, -0.5), (0.34, -0.5), (0, 0.98)), Shade(new StripePaint(s.C(P.Orange), s.C(P.DarkOrange), 0.22, 90, 0.12, s.Phase))),
        ]);
        Add("gift box", [N("gift box"), N("present"), N("gift")], 15, s =>
        [
            Part(Rect(-0.82, -0.55, 0.82, 0.97), Shade(Solid(s.C(P.Red)), 0.15)),
            Part(Rect(-0.93, -0.68, 0.93, -0.38), Solid(s.C(P.DarkRed))),
            Part(new UnionShape(Rect(-0.12, -0.68, 0.12, 0.97), Ellipse(-0.28, -0.8, 0.28, 0.15, 15), Ellipse(0.28, -0.8, 0.28, 0.15, -15)), Solid(s.C(P.Yellow))),
        ]);
        Add("butterfly", [N("butterfly")], 40, s =>
        [
            Part(new UnionShape(Ellipse(-0.5, -0.35, 0.46, 0.4, -20), Ellipse(0.5, -0.35, 0.46, 0.4, 20), Ellipse(-0.38, 0.42, 0.32, 0.3), Ellipse(0.38, 0.42, 0.32, 0.3)),
                 new DotPaint(s.C(P.Purple), s.C(P.Yellow), 0.38, 0.08, true, 0.5, 0.2)),
            Part(Ellipse(0, 0, 0.08, 0.72), Solid(s.C(P.Black))),
        ]);
        Add("traffic light", [N("traffic light"), N("traffic signal")], 8, s =>
        [
            Part(RoundRect(-0.42, -0.99, 0.42, 0.99, 0.16), Shade(Solid(s.C(P.DarkGray)), 0.15)),
            Part(Circle(0, -0.62, 0.25), Solid(s.C(P.Red))),
            Part(Circle(0, 0, 0.25), Solid(s.C(P.Yellow))),
            Part(Circle(0, 0.62, 0.25), Solid(s.C(P.Green))),
        ]);
        return list;
    }

    private static SectorPaint Repeat(this SectorPaint p, int times) =>
        p with { Colours = Enumerable.Repeat(p.Colours, times).SelectMany(c => c).ToArray() };
}
