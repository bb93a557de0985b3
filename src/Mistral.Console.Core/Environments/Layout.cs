using Mistral.Console.Core.Roles;

namespace Mistral.Console.Core.Environments;

/// <summary>
/// The primary controller is derived, not stored per node: the environment remembers the node an
/// admin chose; when there is none (or it is no longer a controller) the first controller is
/// primary. So the layout can never hold two primaries or a primary that is not a controller.
/// </summary>
public static class Layout
{
    public static long? PrimaryId(IReadOnlyCollection<Node> nodes, long? chosenPrimaryId)
    {
        var chosen = nodes.FirstOrDefault(n => n.Id == chosenPrimaryId && n.Has(Role.Controller));
        return chosen?.Id ?? nodes.Where(n => n.Has(Role.Controller)).OrderBy(n => n.Id).FirstOrDefault()?.Id;
    }

    /// <summary>Returns the nodes with the primary-controller role set on exactly the derived primary.</summary>
    public static IReadOnlyList<Node> WithPrimary(IReadOnlyCollection<Node> nodes, long? chosenPrimaryId)
    {
        var primary = PrimaryId(nodes, chosenPrimaryId);
        return nodes.Select(n =>
        {
            var stored = n.Roles.Where(r => r != Role.PrimaryController);
            return n with { Roles = Role.Normalize(n.Id == primary ? stored.Append(Role.PrimaryController) : stored) };
        }).ToList();
    }
}
