namespace RegionClip.Common;

/// <summary>
/// Reports on the calling thread. <see cref="Progress{T}"/> posts to the thread pool, so a bar or a
/// log line would lag behind the work (and could arrive after it ended).
/// </summary>
public sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
