using Mistral.Console.Core.Deployments;
using Mistral.Console.Core.Graph;

namespace Mistral.Console.Jobs.Engine;

public sealed record DeploymentInfo(
    long Id,
    long EnvironmentId,
    DeploymentStatus Status,
    string RequestedBy,
    string CatalogName,
    IReadOnlyList<string>? OnlyTasks,
    IReadOnlyList<long>? OnlyNodes,
    string? Message,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt);

/// <summary>One attempt of a task on a node.</summary>
public sealed record TaskRun(
    long Id,
    long DeploymentId,
    string TaskId,
    long NodeId,
    string NodeName,
    int Attempt,
    TaskRunStatus Status,
    int? ExitCode,
    string? Message,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt)
{
    public TaskKey Key => new(TaskId, NodeId);
    public TimeSpan? Duration => StartedAt is { } s && FinishedAt is { } f ? f - s : null;
}

public enum LogStream { Out, Err, Sys }

/// <summary>A stored (already masked) line of output. <see cref="NodeName"/> travels with live lines
/// only; readers of stored lines look names up from the task runs.</summary>
public sealed record LogLine(long Seq, DateTimeOffset At, long? TaskRunId, long? NodeId, string? TaskId, LogStream Stream, string Text, string? NodeName = null)
{
    /// <summary>The line with its node's name, from <see cref="TaskRuns.NodeNames"/>.</summary>
    public LogLine Named(IReadOnlyDictionary<long, string> names) =>
        NodeId is { } n && names.TryGetValue(n, out var name) ? this with { NodeName = name } : this;
}

/// <summary>Views over a deployment's attempts.</summary>
public static class TaskRuns
{
    /// <summary>The attempt that counts for each vertex: its latest.</summary>
    public static IEnumerable<TaskRun> Latest(this IEnumerable<TaskRun> runs) =>
        runs.GroupBy(r => r.Key).Select(g => g.MaxBy(r => r.Attempt)!);

    /// <summary>Node names by id, as the attempts recorded them (a node may since have been renamed or removed).</summary>
    public static IReadOnlyDictionary<long, string> NodeNames(this IEnumerable<TaskRun> runs) =>
        runs.GroupBy(r => r.NodeId).ToDictionary(g => g.Key, g => g.First().NodeName);
}

/// <summary>A deployment of the environment is already active.</summary>
public sealed class DeploymentConflictException(string message) : Exception(message);
