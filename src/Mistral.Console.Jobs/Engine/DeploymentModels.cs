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
public sealed record LogLine(long Seq, DateTimeOffset At, long? TaskRunId, long? NodeId, string? TaskId, LogStream Stream, string Text, string? NodeName = null);

/// <summary>A deployment of the environment is already active.</summary>
public sealed class DeploymentConflictException(string message) : Exception(message);
