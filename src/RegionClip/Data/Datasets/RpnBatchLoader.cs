namespace RegionClip.Data.Datasets;

/// <summary>Which image a batch slot shows, whether it is mirrored, and its short side in pixels.</summary>
public readonly record struct RpnSampleChoice(int Image, bool Flip, int MinSize);

/// <summary>
/// Decodes and resizes the next batch on a worker thread while the current step computes. What a
/// batch holds depends only on the choices, never on timing, so training stays deterministic.
/// </summary>
internal sealed class RpnBatchLoader(RpnDataset data, int maxSize) : IDisposable
{
    private Task<RpnSample[]>? _pending;
    private RpnSampleChoice[]? _pendingChoices;

    /// <summary>The samples of <paramref name="choices"/> (owned by the caller); starts loading <paramref name="next"/> in the background.</summary>
    public RpnSample[] Take(RpnSampleChoice[] choices, RpnSampleChoice[]? next)
    {
        RpnSample[] batch;
        if (_pending is not null && _pendingChoices is not null && _pendingChoices.SequenceEqual(choices))
        {
            batch = _pending.GetAwaiter().GetResult();
            _pending = null;
        }
        else
        {
            DropPending();
            batch = Load(choices);
        }
        if (next is not null)
        {
            _pendingChoices = next;
            _pending = Task.Run(() => Load(next));
        }
        return batch;
    }

    private RpnSample[] Load(RpnSampleChoice[] choices)
    {
        var result = new RpnSample[choices.Length];
        try
        {
            for (int i = 0; i < choices.Length; i++) result[i] = data.LoadSample(choices[i].Image, choices[i].MinSize, maxSize, choices[i].Flip);
            return result;
        }
        catch
        {
            foreach (var s in result) s?.Dispose();
            throw;
        }
    }

    private void DropPending()
    {
        if (_pending is null) return;
        try
        {
            foreach (var s in _pending.GetAwaiter().GetResult()) s.Dispose();
        }
        catch (Exception)
        {
            // A failed prefetch of a batch no one will use is not an error.
        }
        _pending = null;
        _pendingChoices = null;
    }

    public void Dispose() => DropPending();
}
