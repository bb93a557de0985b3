namespace Mistral.Console.Core.Catalog;

/// <summary>How instances of one task on several nodes may overlap.</summary>
public enum StrategyKind
{
    /// <summary>All nodes at once (optionally at most <see cref="Strategy.MaxParallel"/>).</summary>
    Parallel,
    /// <summary>One node after another (e.g. restarting an API behind a load balancer).</summary>
    OneByOne,
}

public sealed record Strategy(StrategyKind Kind, int? MaxParallel)
{
    public static readonly Strategy Parallel = new(StrategyKind.Parallel, null);

    /// <summary>How many instances of the task may run at once; null = unlimited.</summary>
    public int? Limit => Kind == StrategyKind.OneByOne ? 1 : MaxParallel;
}

public enum DependencyPolicy
{
    /// <summary>Wait until the task has succeeded on every node with the role.</summary>
    All,
    /// <summary>Wait until the task has succeeded on at least one node with the role.</summary>
    Any,
}

/// <summary>A dependency on a task that runs on other nodes (Fuel's cross-depends).</summary>
public sealed record CrossDependency(string Task, string Role, DependencyPolicy Policy);

/// <summary>
/// One deployment task of the catalog. <see cref="Idempotent"/> (the default, and true of every
/// Mistral task) lets the engine run it again on its own: after a dashboard restart interrupted it,
/// and for retries. A task declared not idempotent is never repeated without an admin's re-run.
/// </summary>
public sealed record TaskDefinition(
    string Id,
    string Description,
    IReadOnlyList<string> Roles,
    IReadOnlyList<string> Requires,
    IReadOnlyList<CrossDependency> CrossDepends,
    Strategy Strategy,
    TimeSpan Timeout,
    int Retries,
    string Script,
    bool Idempotent = true);

/// <summary>A validated set of tasks, plus a shell prelude prepended to every script.</summary>
public sealed record TaskCatalog(string Name, string Prelude, IReadOnlyList<TaskDefinition> Tasks)
{
    public TaskDefinition? Find(string id) => Tasks.FirstOrDefault(t => t.Id == id);
}
