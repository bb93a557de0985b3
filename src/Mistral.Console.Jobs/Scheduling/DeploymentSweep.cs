using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Mistral.Console.Jobs.Engine;

namespace Mistral.Console.Jobs.Scheduling;

/// <summary>
/// The safety net under event-driven dispatch: at start-up and then every SweepInterval, an active
/// deployment whose job is not scheduled (the process was stopped gracefully mid-deployment, or a
/// runner failed) is scheduled again. No deployment stays "running" with nobody running it.
/// </summary>
public sealed class DeploymentSweep(
    DeploymentStore deployments,
    QuartzDeploymentScheduler scheduler,
    EngineOptions options,
    ILogger<DeploymentSweep> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.SweepInterval);
        do
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogError(e, "Deployment sweep failed");
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    public async Task<int> SweepAsync(CancellationToken ct)
    {
        var count = 0;
        foreach (var id in await deployments.ListActiveIdsAsync(ct))
        {
            if (await scheduler.IsScheduledAsync(id, ct)) continue;
            logger.LogWarning("Deployment {DeploymentId} is active but has no job; scheduling it again", id);
            await scheduler.ScheduleAsync(id, ct);
            count++;
        }
        return count;
    }
}
