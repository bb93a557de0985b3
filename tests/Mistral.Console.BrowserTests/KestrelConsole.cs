using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Mistral.Console.Core.Environments;
using Mistral.Console.Tests.Shared;

namespace Mistral.Console.BrowserTests;

/// <summary>The real app on real Kestrel at 127.0.0.1 with a free port, in a temporary data directory.</summary>
public sealed class KestrelConsole : WebApplicationFactory<Program>
{
    private readonly IReadOnlyDictionary<string, string> _settings;

    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("mc-browser-tests-").FullName;
    public LogCapture Logs { get; } = new();

    /// <param name="settings">Extra configuration, e.g. an engine catalog for deployment tests.</param>
    public KestrelConsole(IReadOnlyDictionary<string, string>? settings = null)
    {
        _settings = settings ?? new Dictionary<string, string>();
        UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        builder.UseSetting("MistralConsole:DataDirectory", DataDirectory);
        foreach (var (key, value) in _settings) builder.UseSetting(key, value);
        builder.ConfigureLogging(l => { l.AddProvider(Logs); l.AddFilter<LogCapture>(null, LogLevel.Debug); });
        builder.ConfigureTestServices(s => s.TryAddSingleton<IKeyInspector, SshKeygenKeyInspector>());
    }

    /// <summary>Starts the server and returns its base address, e.g. http://127.0.0.1:40123.</summary>
    public string Start()
    {
        StartServer();
        var addresses = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        return addresses.Single().TrimEnd('/');
    }

    public string InitialAdminPassword => File.ReadAllText(Path.Combine(DataDirectory, "initial-admin-password")).Trim();

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { }
    }
}
