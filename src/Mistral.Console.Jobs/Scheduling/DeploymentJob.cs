using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Mistral.Console.Jobs.Engine;
using Quartz;

namespace Mistral.Console.Jobs.Scheduling;

/// <summary>
/// One durable Quartz job per deployment. RequestsRecovery: if the process dies while it runs,
/// Quartz fires it again at the next start (or on another cluster member), and the runner resumes
/// the deployment — finished attempts are kept, interrupted ones run again.
/// </summary>
[DisallowConcurrentExecution]
public sealed class DeploymentJob(DeploymentRunner runner, IHostApplicationLifetime lifetime, ILogger<DeploymentJob> logger) : IJob
{
    public const string DeploymentIdKey = "deploymentId";

    public static JobKey KeyFor(long deploymentId) => new($"deployment-{deploymentId}", "deployments");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var id = context.MergedJobDataMap.GetLong(DeploymentIdKey);
        if (context.Recovering) logger.LogWarning("Recovering deployment {DeploymentId} after an unclean stop", id);
        // Quartz does not cancel a running job when the scheduler shuts down without waiting, so the
        // application's own stopping signal is what tells the runner to let go (and not record the
        // tasks it kills as failures: they run again at the next start).
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
        try
        {
            await runner.RunAsync(id, stopping.Token);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Shutting down: the deployment stays active and the start-up sweep picks it up again.
            logger.LogInformation("Deployment {DeploymentId} paused by shutdown", id);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Deployment {DeploymentId} runner failed; the sweep will retry it", id);
        }
    }
}

public sealed class QuartzDeploymentScheduler(ISchedulerFactory factory) : IDeploymentScheduler
{
    public async Task ScheduleAsync(long deploymentId, CancellationToken ct)
    {
        var scheduler = await factory.GetScheduler(ct);
        var job = JobBuilder.Create<DeploymentJob>()
            .WithIdentity(DeploymentJob.KeyFor(deploymentId))
            .UsingJobData(DeploymentJob.DeploymentIdKey, deploymentId)
            .RequestRecovery()
            .StoreDurably(false)
            .Build();
        var trigger = TriggerBuilder.Create()
            .WithIdentity($"deployment-{deploymentId}-{Guid.NewGuid():N}", "deployments")
            .ForJob(job)
            .StartNow()
            .Build();
        // replace: a re-run of a finished deployment schedules its job anew.
        await scheduler.ScheduleJob(job, [trigger], new ScheduleJobOptions { Replace = true }, ct);
    }

    public async Task<bool> IsScheduledAsync(long deploymentId, CancellationToken ct)
    {
        var scheduler = await factory.GetScheduler(ct);
        return await scheduler.Exists(DeploymentJob.KeyFor(deploymentId), ct);
    }
}
