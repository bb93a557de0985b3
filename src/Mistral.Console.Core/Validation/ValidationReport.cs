namespace Mistral.Console.Core.Validation;

public enum Severity { Error, Warning }

/// <summary>One finding about user input or an environment's layout. <see cref="Field"/> names
/// the input it belongs to (camelCase, as in the JSON API and the form), or "" for the whole thing.</summary>
public sealed record ValidationIssue(string Field, string Message, Severity Severity = Severity.Error);

public sealed class ValidationReport
{
    private readonly List<ValidationIssue> _issues = [];

    public IReadOnlyList<ValidationIssue> Issues => _issues;
    public IEnumerable<ValidationIssue> Errors => _issues.Where(i => i.Severity == Severity.Error);
    public IEnumerable<ValidationIssue> Warnings => _issues.Where(i => i.Severity == Severity.Warning);
    public bool IsValid => !Errors.Any();

    public ValidationReport Error(string field, string message)
    {
        _issues.Add(new ValidationIssue(field, message));
        return this;
    }

    public ValidationReport Warning(string field, string message)
    {
        _issues.Add(new ValidationIssue(field, message, Severity.Warning));
        return this;
    }

    public void AddRange(IEnumerable<ValidationIssue> issues) => _issues.AddRange(issues);

    /// <summary>Errors grouped by field, the shape of a problem-details "errors" member.</summary>
    public IDictionary<string, string[]> ErrorsByField() =>
        Errors.GroupBy(e => e.Field).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray());

    public string? FirstErrorFor(string field) => Errors.FirstOrDefault(e => e.Field == field)?.Message;
}

/// <summary>Thrown by a command whose input is invalid; nothing was stored.</summary>
public sealed class ValidationFailedException(ValidationReport report)
    : Exception("The input is invalid: " + string.Join("; ", report.Errors.Select(e => $"{e.Field}: {e.Message}")))
{
    public ValidationReport Report { get; } = report;
}
