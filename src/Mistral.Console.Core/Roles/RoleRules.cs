using Mistral.Console.Core.Environments;
using Mistral.Console.Core.Validation;

namespace Mistral.Console.Core.Roles;

/// <summary>Fuel's role checks for a Mistral environment, with the messages its users knew.</summary>
public static class RoleRules
{
    public const int MinControllers = 1;
    public const int MinMistral = 1;
    public const int RecommendedMistral = 2;

    /// <summary>Layout findings for a whole environment. Errors block a deployment; warnings do not.</summary>
    public static ValidationReport Validate(IReadOnlyCollection<Node> nodes)
    {
        var report = new ValidationReport();
        var controllers = nodes.Count(n => n.IsController);
        var primaries = nodes.Where(n => n.IsPrimary).ToList();
        var mistral = nodes.Count(n => n.IsMistral);

        if (controllers < MinControllers)
            report.Error("roles", $"At least {MinControllers} Controller node is required ({controllers} selected currently).");
        if (controllers > 0 && primaries.Count != 1)
            report.Error("roles", $"Exactly 1 primary controller is required ({primaries.Count} selected currently).");
        foreach (var p in primaries.Where(p => !p.IsController))
            report.Error("roles", $"Node '{p.Name}' is the primary controller but does not have the Controller role.");
        if (mistral < MinMistral)
            report.Error("roles", $"At least {MinMistral} Mistral node is required ({mistral} selected currently).");
        else if (mistral < RecommendedMistral)
            report.Warning("roles", $"It is recommended to have at least {RecommendedMistral} Mistral nodes for engine and executor high availability ({mistral} selected currently).");

        foreach (var dup in nodes.GroupBy(n => n.Name, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
            report.Error("name", $"{dup.Count()} nodes are named '{dup.Key}'; node names must be unique.");
        foreach (var dup in nodes.GroupBy(n => n.Address, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
            report.Error("address", $"{dup.Count()} nodes have the address '{dup.Key}'; addresses must be unique.");
        return report;
    }

    /// <summary>
    /// Applies the default primary: when controllers exist and none is primary, the first
    /// controller (lowest id) becomes primary; a primary that lost its controller role loses primary.
    /// Returns the node ids whose role list must change, with their new roles.
    /// </summary>
    public static IReadOnlyDictionary<long, IReadOnlyList<string>> ResolvePrimary(IReadOnlyCollection<Node> nodes)
    {
        var changes = new Dictionary<long, IReadOnlyList<string>>();
        foreach (var n in nodes.Where(n => n.IsPrimary && !n.IsController))
            changes[n.Id] = n.Roles.Where(r => r != Role.PrimaryController).ToArray();

        var primaries = nodes.Where(n => n.IsPrimary && n.IsController).OrderBy(n => n.Id).ToList();
        if (primaries.Count == 0)
        {
            var first = nodes.Where(n => n.IsController).OrderBy(n => n.Id).FirstOrDefault();
            if (first is not null) changes[first.Id] = Role.Normalize(first.Roles.Append(Role.PrimaryController));
        }
        return changes;
    }
}
