namespace Mistral.Console.Jobs.Engine;

/// <summary>
/// Where the engine announces what happens, for live viewers. Implemented by the web's live hub.
/// Calls must not block: the engine calls them on its dispatch path.
/// </summary>
public interface IDeploymentEventSink
{
    void DeploymentChanged(DeploymentInfo deployment);
    void TaskRunChanged(TaskRun run);
    /// <summary>Already masked lines, in sequence order.</summary>
    void LogLines(long deploymentId, IReadOnlyList<LogLine> lines);
}

/// <summary>In-process wake-ups: a stop request or a new attempt wakes the deployment's runner at once
/// instead of waiting for its periodic check.</summary>
public sealed class DeploymentSignals
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, SemaphoreSlim> _signals = new();

    public SemaphoreSlim For(long deploymentId) => _signals.GetOrAdd(deploymentId, _ => new SemaphoreSlim(0));

    public void Wake(long deploymentId)
    {
        if (_signals.TryGetValue(deploymentId, out var s)) s.Release();
    }

    public void Forget(long deploymentId) => _signals.TryRemove(deploymentId, out _);
}
