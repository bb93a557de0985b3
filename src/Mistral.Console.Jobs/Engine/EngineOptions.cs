namespace Mistral.Console.Jobs.Engine;

/// <summary>The "MistralConsole:Engine" configuration section.</summary>
public sealed class EngineOptions
{
    /// <summary>After Stop, running tasks get this long to finish before they are killed.</summary>
    public TimeSpan StopGracePeriod { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How often a runner re-reads its deployment's status (a stop asked on another instance).
    /// Local stop requests wake it at once.</summary>
    public TimeSpan StatusCheckInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often active deployments without a running job are rescheduled (the safety sweep).</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Run the acceptance checks after every successful deployment.</summary>
    public bool ChecksAfterDeployment { get; set; } = true;

    /// <summary>A YAML task catalog to use instead of the built-in Mistral catalog.</summary>
    public string? CatalogPath { get; set; }
}
