using RegionClip.Data.Datasets;
using RegionClip.Modeling.Detection;
using RegionClip.Modeling.Proposals;
using RegionClip.Structures;
using RegionClip.Torch;

namespace RegionClip.Evaluation;

/// <summary>Proposal recall of a network on held-out images (original pixels, every non-crowd box, base and novel).</summary>
public static class RpnEvaluation
{
    /// <summary>Images per forward pass (equal-sized images share a batch without padding).</summary>
    private const int BatchSize = 8;

    /// <param name="images">Held-out images; the first <paramref name="limit"/> are used (0: all).</param>
    public static ProposalRecall Evaluate(ProposalNetwork network, RpnDataset images, DetectionResize resize, ProposalOptions proposals,
        IReadOnlyList<int> ks, double iou, int limit = 0, IProgress<(int Done, int Total)>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(images);
        var total = limit > 0 ? Math.Min(limit, images.Count) : images.Count;
        var recall = new ProposalRecallAccumulator(ks, iou);
        var wasTraining = network.training;
        network.eval();
        try
        {
            for (int start = 0; start < total; start += BatchSize)
            {
                cancel.ThrowIfCancellationRequested();
                var batch = images.Entries.Skip(start).Take(Math.Min(BatchSize, total - start)).ToList();
                var prepared = batch.Select(e => DetectionImage.Load(e.Path, resize)).ToList();
                try
                {
                    var found = network.Propose(prepared.Select(p => p.Resized).ToList(), proposals);
                    for (int i = 0; i < batch.Count; i++)
                    {
                        using var scope = torch.NewDisposeScope();
                        using var set = found[i];
                        recall.Add(prepared[i].ToOriginal(set.Boxes), batch[i].Boxes, batch[i].Novel);
                    }
                }
                finally
                {
                    foreach (var p in prepared) p.Dispose();
                }
                progress?.Report((start + batch.Count, total));
            }
        }
        finally
        {
            network.train(wasTraining);
        }
        return recall.Result();
    }
}
