namespace Mistral.Console.Core.Deployments;

/// <summary>The closed set of states of one attempt of a task on a node.</summary>
public enum TaskRunStatus
{
    /// <summary>Planned; waits for its dependencies or for a free slot.</summary>
    Pending,
    /// <summary>Claimed by the engine; its script is running on the node.</summary>
    Running,
    /// <summary>Ran and exited 0.</summary>
    Succeeded,
    /// <summary>Ran and exited non-zero.</summary>
    Failed,
    /// <summary>Could not run or was cut off: unreachable, auth, host key, timeout, dashboard restart.</summary>
    Error,
    /// <summary>Stopped by a user before or while running.</summary>
    Canceled,
    /// <summary>Never ran because something it waits for did not succeed.</summary>
    Skipped,
}

/// <summary>The closed set of states of a deployment.</summary>
public enum DeploymentStatus
{
    /// <summary>Stored; its job is scheduled but has not started.</summary>
    Pending,
    /// <summary>The engine is dispatching its tasks.</summary>
    Running,
    /// <summary>Stop requested: no new task starts; running ones finish or are killed after a grace period.</summary>
    Stopping,
    /// <summary>Stopped by a user; Deploy resumes it.</summary>
    Stopped,
    /// <summary>Every task's latest attempt succeeded.</summary>
    Succeeded,
    /// <summary>Finished with at least one task failed, in error or skipped.</summary>
    Failed,
}

public static class StatusRules
{
    public static bool IsFinished(this TaskRunStatus s) => s is not (TaskRunStatus.Pending or TaskRunStatus.Running);
    public static bool IsUnsuccessful(this TaskRunStatus s) => s is TaskRunStatus.Failed or TaskRunStatus.Error or TaskRunStatus.Canceled or TaskRunStatus.Skipped;
    public static bool IsActive(this DeploymentStatus s) => s is DeploymentStatus.Pending or DeploymentStatus.Running or DeploymentStatus.Stopping;

    /// <summary>The transitions the engine may make; stores enforce them with compare-and-set.</summary>
    public static bool CanMove(TaskRunStatus from, TaskRunStatus to) => (from, to) switch
    {
        (TaskRunStatus.Pending, TaskRunStatus.Running or TaskRunStatus.Skipped or TaskRunStatus.Canceled) => true,
        (TaskRunStatus.Running, TaskRunStatus.Succeeded or TaskRunStatus.Failed or TaskRunStatus.Error or TaskRunStatus.Canceled) => true,
        _ => false,
    };

    public static string Wire(this TaskRunStatus s) => s.ToString().ToLowerInvariant();
    public static string Wire(this DeploymentStatus s) => s.ToString().ToLowerInvariant();
    public static TaskRunStatus ParseTaskStatus(string s) => Enum.Parse<TaskRunStatus>(s, ignoreCase: true);
    public static DeploymentStatus ParseDeploymentStatus(string s) => Enum.Parse<DeploymentStatus>(s, ignoreCase: true);
}
