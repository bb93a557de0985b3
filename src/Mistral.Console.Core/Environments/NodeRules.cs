using Mistral.Console.Core.Roles;
using Mistral.Console.Core.Validation;

namespace Mistral.Console.Core.Environments;

public static class NodeRules
{
    public const int MaxKeyLength = 16 * 1024;
    public const int MaxExecutorHostLength = 63;

    /// <summary>Field checks for a node, including uniqueness against the environment's other nodes.</summary>
    public static ValidationReport Validate(NodeInput input, IReadOnlyCollection<Node> others)
    {
        var r = new ValidationReport();
        void Check(string field, string? message) { if (message is not null) r.Error(field, message); }

        Check("name", Inputs.NodeName(input.Name));
        Check("address", Inputs.Address(input.Address));
        Check("sshPort", Inputs.Port(input.SshPort));
        Check("sshUser", Inputs.UserName(input.SshUser));
        if (input.Name is not null && others.Any(n => string.Equals(n.Name, input.Name, StringComparison.OrdinalIgnoreCase)))
            r.Error("name", $"Another node in this environment is already named '{input.Name}'.");
        if (input.Address is not null && others.Any(n => string.Equals(n.Address, input.Address, StringComparison.OrdinalIgnoreCase)))
            r.Error("address", $"Another node in this environment already has the address '{input.Address}'.");
        foreach (var role in input.Roles ?? [])
            if (!Role.IsKnown(role))
                r.Error("roles", $"Unknown role '{Truncate(role)}'. Known roles: {string.Join(", ", Role.All)}.");
        if (input.PrivateKey is { Length: > MaxKeyLength })
            r.Error("privateKey", $"A private key has at most {MaxKeyLength / 1024} kB.");
        if (!string.IsNullOrEmpty(input.ExecutorHost))
        {
            if (input.Roles is not null && !input.Roles.Contains(Role.Mistral))
                r.Error("executorHost", "An executor host name applies to Mistral nodes only.");
            else if (input.ExecutorHost.Length > MaxExecutorHostLength || Inputs.Identifier(input.ExecutorHost, "executor host") is not null)
                r.Error("executorHost", "The executor host may contain letters, digits, '.', '-' and '_' only (at most 63).");
        }
        return r;
    }

    private static string Truncate(string s) => s.Length <= 40 ? s : s[..40] + "…";
}

/// <summary>Checks a pasted private key (unencrypted, parseable) and derives its public key.</summary>
public interface IKeyInspector
{
    /// <summary>The public key line, or an error message for the user.</summary>
    Task<(string? PublicKey, string? Error)> InspectAsync(string privateKey, CancellationToken cancellationToken);
}
