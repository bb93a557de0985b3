using Mistral.Console.Core.Roles;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Mistral.Console.Core.Catalog;

public sealed class CatalogException(string message) : Exception(message);

/// <summary>
/// Reads a task catalog from YAML (in the spirit of Fuel's deployment_tasks.yaml) and validates it:
/// unknown roles, unknown task ids in requires/cross_depends, duplicate ids and dependency cycles
/// are refused with a message naming them.
/// </summary>
public static class CatalogLoader
{
    public static TaskCatalog Parse(string yaml, string name = "catalog")
    {
        CatalogFile file;
        try
        {
            file = new DeserializerBuilder()
                .WithNamingConvention(UnderscoredNamingConvention.Instance)
                .Build()
                .Deserialize<CatalogFile>(yaml) ?? new CatalogFile();
        }
        catch (YamlException e)
        {
            throw new CatalogException($"{name}: YAML error at line {e.Start.Line}: {e.InnerException?.Message ?? e.Message}");
        }

        var errors = new List<string>();
        var tasks = new List<TaskDefinition>();
        foreach (var (t, index) in (file.Tasks ?? []).Select((t, i) => (t, i)))
        {
            var where = string.IsNullOrWhiteSpace(t.Id) ? $"task #{index + 1}" : $"task '{t.Id}'";
            if (string.IsNullOrWhiteSpace(t.Id)) { errors.Add($"{where} has no id."); continue; }
            var roles = t.Roles ?? [];
            if (roles.Count == 0) errors.Add($"{where} has no roles.");
            foreach (var r in roles.Where(r => !Role.IsKnown(r)))
                errors.Add($"{where} names unknown role '{r}' (known: {string.Join(", ", Role.All)}).");
            if (string.IsNullOrWhiteSpace(t.Script)) errors.Add($"{where} has no script.");
            var strategy = ParseStrategy(t.Strategy, where, errors);
            var cross = new List<CrossDependency>();
            foreach (var c in t.CrossDepends ?? [])
            {
                if (string.IsNullOrWhiteSpace(c.Task)) { errors.Add($"{where} has a cross_depends entry without a task."); continue; }
                var role = c.Role ?? "*";
                if (role != "*" && !Role.IsKnown(role)) errors.Add($"{where} cross-depends on unknown role '{role}'.");
                var policy = (c.Policy ?? "all") switch
                {
                    "all" => DependencyPolicy.All,
                    "any" => DependencyPolicy.Any,
                    var p => Invalid(errors, $"{where} has unknown cross_depends policy '{p}' (all or any)."),
                };
                cross.Add(new CrossDependency(c.Task, role, policy));
            }
            if (t.Timeout is <= 0) errors.Add($"{where} has a timeout of {t.Timeout} s; use a positive number of seconds.");
            if (t.Retries is < 0 or > 10) errors.Add($"{where} has {t.Retries} retries; use 0 to 10.");
            if (t.Idempotent == false && t.Retries is > 0) errors.Add($"{where} is not idempotent, so it cannot have retries.");
            tasks.Add(new TaskDefinition(
                t.Id, t.Description ?? "", roles, t.Requires ?? [], cross, strategy,
                TimeSpan.FromSeconds(t.Timeout ?? 600), t.Retries ?? 0, t.Script ?? "", t.Idempotent ?? true));
        }

        foreach (var dup in tasks.GroupBy(t => t.Id).Where(g => g.Count() > 1))
            errors.Add($"task id '{dup.Key}' is defined {dup.Count()} times.");
        var ids = tasks.Select(t => t.Id).ToHashSet();
        foreach (var t in tasks)
        {
            foreach (var r in t.Requires.Where(r => !ids.Contains(r)))
                errors.Add($"task '{t.Id}' requires unknown task '{r}'.");
            foreach (var c in t.CrossDepends.Where(c => !ids.Contains(c.Task)))
                errors.Add($"task '{t.Id}' cross-depends on unknown task '{c.Task}'.");
        }
        if (errors.Count == 0 && FindCycle(tasks) is { } cycle)
            errors.Add($"dependency cycle: {string.Join(" → ", cycle)}.");
        if (errors.Count > 0) throw new CatalogException($"{name}: " + string.Join(" ", errors));
        return new TaskCatalog(file.Name ?? name, file.Prelude ?? "", tasks);
    }

    /// <summary>A cycle among task ids over requires and cross_depends, as a closed path, or null.</summary>
    internal static IReadOnlyList<string>? FindCycle(IReadOnlyList<TaskDefinition> tasks)
    {
        var edges = tasks.ToDictionary(t => t.Id, t => t.Requires.Concat(t.CrossDepends.Select(c => c.Task)).Distinct().ToList());
        var state = new Dictionary<string, int>(); // 1 = on the stack, 2 = done
        var stack = new List<string>();
        List<string>? Visit(string id)
        {
            state[id] = 1;
            stack.Add(id);
            foreach (var next in edges[id])
            {
                if (state.GetValueOrDefault(next) == 1)
                    return [.. stack.Skip(stack.IndexOf(next)), next];
                if (state.GetValueOrDefault(next) == 0 && Visit(next) is { } found) return found;
            }
            stack.RemoveAt(stack.Count - 1);
            state[id] = 2;
            return null;
        }
        foreach (var t in tasks)
            if (state.GetValueOrDefault(t.Id) == 0 && Visit(t.Id) is { } cycle) return cycle;
        return null;
    }

    private static Strategy ParseStrategy(StrategyFile? s, string where, List<string> errors)
    {
        if (s is null) return Strategy.Parallel;
        switch (s.Type ?? "parallel")
        {
            case "parallel":
                if (s.Amount is <= 0) errors.Add($"{where} has strategy amount {s.Amount}; use a positive number.");
                return new Strategy(StrategyKind.Parallel, s.Amount);
            case "one_by_one":
                return new Strategy(StrategyKind.OneByOne, 1);
            default:
                errors.Add($"{where} has unknown strategy '{s.Type}' (parallel or one_by_one).");
                return Strategy.Parallel;
        }
    }

    private static DependencyPolicy Invalid(List<string> errors, string message)
    {
        errors.Add(message);
        return DependencyPolicy.All;
    }

    // YAML shapes: snake_case keys.
    private sealed class CatalogFile
    {
        public string? Name { get; set; }
        public string? Prelude { get; set; }
        public List<TaskFile>? Tasks { get; set; }
    }

    private sealed class TaskFile
    {
        public string Id { get; set; } = "";
        public string? Description { get; set; }
        public List<string>? Roles { get; set; }
        public List<string>? Requires { get; set; }
        public List<CrossFile>? CrossDepends { get; set; }
        public StrategyFile? Strategy { get; set; }
        public int? Timeout { get; set; }
        public int? Retries { get; set; }
        public bool? Idempotent { get; set; }
        public string? Script { get; set; }
    }

    private sealed class CrossFile
    {
        public string Task { get; set; } = "";
        public string? Role { get; set; }
        public string? Policy { get; set; }
    }

    private sealed class StrategyFile
    {
        public string? Type { get; set; }
        public int? Amount { get; set; }
    }
}
