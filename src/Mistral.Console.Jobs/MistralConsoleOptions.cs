namespace Mistral.Console.Jobs;

/// <summary>The "MistralConsole" configuration section (also MistralConsole__X environment variables).</summary>
public sealed class MistralConsoleOptions
{
    public const string Section = "MistralConsole";

    /// <summary>Holds the SQLite file, the Data Protection key ring and the initial admin password.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>"sqlite" (default, embedded) or "postgres".</summary>
    public string DatabaseProvider { get; set; } = "sqlite";

    /// <summary>Required for postgres; for sqlite defaults to &lt;DataDirectory&gt;/mistral-console.db.</summary>
    public string? ConnectionString { get; set; }

    public string FullDataDirectory => Path.GetFullPath(DataDirectory);
}
