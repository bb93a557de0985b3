using Mistral.Console.Jobs.Storage;
using Mistral.Console.Web.Auth;

namespace Mistral.Console.Web.Hosting;

/// <summary>
/// Brings the store up to date and creates the first admin before anything is served:
/// <see cref="IHostedLifecycleService.StartingAsync"/> runs before any hosted service starts,
/// the web server included.
/// </summary>
public sealed class StartupTasks(Migrator migrator, AccountService accounts) : IHostedLifecycleService
{
    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        await migrator.MigrateAsync(cancellationToken);
        await accounts.EnsureInitialAdminAsync(cancellationToken);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
