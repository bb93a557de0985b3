using Mistral.Console.Core.Catalog;

namespace Mistral.Console.Jobs.Engine;

/// <summary>The catalog new deployments use: a configured file, or the built-in Mistral catalog.
/// Each deployment stores the YAML it started with, so re-runs and recovery use the same tasks.</summary>
public sealed class CatalogProvider(EngineOptions options)
{
    public const string BuiltInResource = "Mistral.Console.Jobs.Catalogs.mistral.yaml";

    public (TaskCatalog Catalog, string Yaml) Current()
    {
        string yaml, name;
        if (options.CatalogPath is { } path)
        {
            yaml = File.ReadAllText(path);
            name = Path.GetFileName(path);
        }
        else
        {
            using var s = typeof(CatalogProvider).Assembly.GetManifestResourceStream(BuiltInResource)
                ?? throw new InvalidOperationException("The built-in Mistral catalog is missing from the build.");
            yaml = new StreamReader(s).ReadToEnd();
            name = "mistral.yaml";
        }
        return (CatalogLoader.Parse(yaml, name), yaml);
    }
}
