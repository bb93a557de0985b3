using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Mistral.Console.Core.Environments;
using Mistral.Console.Core.Secrets;
using Mistral.Console.Jobs.Secrets;
using Mistral.Console.Jobs.Storage;

namespace Mistral.Console.Jobs;

public static class ServiceCollectionExtensions
{
    /// <summary>Storage, secrets and domain commands. The data directory is created 0700.</summary>
    public static IServiceCollection AddMistralConsoleCore(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(MistralConsoleOptions.Section).Get<MistralConsoleOptions>() ?? new MistralConsoleOptions();
        var dataDir = options.FullDataDirectory;
        Directory.CreateDirectory(dataDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        services.AddSingleton(options);

        var database = options.DatabaseProvider.ToLowerInvariant() switch
        {
            "sqlite" => options.ConnectionString is { } cs ? new Database(SqlDialect.Sqlite, cs) : Database.SqliteFile(Path.Combine(dataDir, "mistral-console.db")),
            "postgres" or "postgresql" => new Database(SqlDialect.Postgres,
                options.ConnectionString ?? throw new InvalidOperationException("MistralConsole:ConnectionString is required for the postgres provider.")),
            var other => throw new InvalidOperationException($"Unknown MistralConsole:DatabaseProvider '{other}' (use sqlite or postgres)."),
        };
        services.AddSingleton(database);
        services.AddSingleton<Migrator>();
        services.AddSingleton(TimeProvider.System);

        // The key ring protects every stored secret: it must survive restarts and be shared by
        // all instances, so it lives in the data directory (a shared volume for several instances).
        services.AddDataProtection()
            .SetApplicationName("Mistral.Console")
            .PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(dataDir, "keys")));
        services.AddSingleton<ISecretProtector, DataProtectionSecretProtector>();
        services.AddSingleton<IRandomSource, CryptoRandomSource>();
        services.AddSingleton<SecretGenerator>();

        services.AddSingleton<IEnvironmentStore, EnvironmentStore>();
        // Key checks need ssh-keygen only, so they live with the core services, not the engine.
        services.AddSingleton(configuration.GetSection(Ssh.SshOptions.Section).Get<Ssh.SshOptions>() ?? new Ssh.SshOptions());
        services.AddSingleton<IKeyInspector, Ssh.SshKeyInspector>();
        services.AddSingleton<EnvironmentCommands>();
        return services;
    }
}
