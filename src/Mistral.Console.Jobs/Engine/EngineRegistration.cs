using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Mistral.Console.Core.Execution;
using Mistral.Console.Jobs.Logs;
using Mistral.Console.Jobs.Scheduling;
using Mistral.Console.Jobs.Ssh;
using Mistral.Console.Jobs.Storage;
using Quartz;

namespace Mistral.Console.Jobs.Engine;

public static class EngineRegistration
{
    /// <summary>
    /// The deployment engine: SSH, stores, the runner, and Quartz with a persistent store
    /// (SQLite file beside the app's database, or the app's PostgreSQL with clustering, so several
    /// dashboard instances share deployments and take over a dead one's). The caller registers an
    /// <see cref="IDeploymentEventSink"/> (the web's live hub).
    /// </summary>
    public static IServiceCollection AddDeploymentEngine(this IServiceCollection services, IConfiguration configuration)
    {
        var engine = configuration.GetSection("MistralConsole:Engine").Get<EngineOptions>() ?? new EngineOptions();
        services.AddSingleton(engine);
        services.AddSingleton<OpenSshRunner>();
        services.AddSingleton<ICommandRunner>(sp => sp.GetRequiredService<OpenSshRunner>());
        services.AddSingleton<IHostKeyScanner, SshKeyScanner>();
        services.AddSingleton<HostKeyTrust>();
        services.AddSingleton<DeploymentStore>();
        services.AddSingleton<LogStore>();
        services.AddSingleton<DeploymentSignals>();
        services.AddSingleton<CatalogProvider>();
        services.AddSingleton<DeploymentRunner>();
        services.AddSingleton<QuartzDeploymentScheduler>();
        services.AddSingleton<IDeploymentScheduler>(sp => sp.GetRequiredService<QuartzDeploymentScheduler>());
        services.AddSingleton<DeploymentCommands>();
        services.AddSingleton<Health.CheckStore>();
        services.AddSingleton<Health.HealthChecks>();

        var options = configuration.GetSection(MistralConsoleOptions.Section).Get<MistralConsoleOptions>() ?? new MistralConsoleOptions();
        services.AddQuartz(q =>
        {
            // Deployments are long-lived; their parallelism is inside the runner, not in Quartz threads.
            q.UseDefaultThreadPool(16);
            q.UsePersistentStore(s =>
            {
                s.UseSystemTextJsonSerializer();
                if (options.DatabaseProvider.StartsWith("postgres", StringComparison.OrdinalIgnoreCase))
                {
                    s.UsePostgres(options.ConnectionString!);
                    s.UseClustering();
                }
                else
                {
                    s.UseSqlite(new SqliteConnectionStringBuilder { DataSource = Path.Combine(options.FullDataDirectory, "quartz.db") }.ToString());
                }
                s.ProvisionSchema();
            });
        });
        // Do not wait for deployments on shutdown: the runner kills running tasks and they run again at the next start.
        services.AddQuartzHostedService(o => o.WaitForJobsToComplete = false);
        services.AddHostedService<DeploymentSweep>();
        return services;
    }
}
